/* Heart-rate tracker (HMM forward filter, optionally with a fixed lag) for
 * a microcontroller.
 *
 * Plain C99, no allocation, no libm in the int8 path. The parameters
 * (transition kernel, jump probability, emission lookup table, the belief
 * at a start, the lag) come from hr_tracker_params.h, written by
 * keras_ppg_kd's HRTracker.export_c().
 *
 * Causal: state `belief` and `scratch`, HRT_NUM_CLASSES floats each, owned
 * by the caller. Per window:
 *   hrt_reset(belief);                       once, at a recording's start
 *   cls = hrt_step_int8(logits, steps, belief, scratch);
 *   bpm = hrt_class_to_bpm(cls);
 * `steps` is the number of strides since the previous window (1 without a
 * gap; 0 resets the belief first, as HRTracker does for gaps longer than
 * max_gap_seconds). `logits` are the int8 student's raw output.
 *
 * Fixed lag (HRTracker.fixed_lag, HRT_LAG windows of delay): the caller
 * owns one hrt_lag_state per stream (sizeof(hrt_lag_state) bytes: a ring of
 * the last HRT_LAG + 1 windows' beliefs and logits).
 *   hrt_lag_reset(&state);                   at a recording's start
 *   cls = hrt_lag_step_int8(&state, logits, steps);   per window, as above
 *   at the recording's end:
 *   while ((cls = hrt_lag_flush(&state)) >= 0) { ... }
 * Output contract: the n-th call of hrt_lag_step_int8 after hrt_lag_reset
 * (n = 0, 1, ...) returns the class of the window given in call n - HRT_LAG
 * (HRT_LAG windows back, HRT_LAG * stride seconds late where no window is
 * missing), estimated from that window's belief and the HRT_LAG windows
 * after it; the first HRT_LAG calls return -1. hrt_lag_flush then returns
 * the classes of the last HRT_LAG windows, oldest first, each from the
 * windows that exist after it (the last one's is its causal class), and
 * -1 once none is left; call hrt_lag_reset before the next recording.
 * A reset inside the recording (steps 0) needs no flush: the windows
 * before it take nothing from the windows after it. With HRT_LAG 0 each
 * call returns its own window's class, the same as hrt_step_int8.
 */
#ifndef HR_TRACKER_H_
#define HR_TRACKER_H_

#include <stddef.h>
#include <stdint.h>

#include "hr_tracker_params.h"

typedef struct {
  float belief[HRT_LAG + 1][HRT_NUM_CLASSES]; /* forward beliefs (a ring) */
  int8_t logits[HRT_LAG + 1][HRT_NUM_CLASSES]; /* their windows' logits */
  int steps[HRT_LAG + 1]; /* strides before each window (0: a reset) */
  int top[HRT_LAG + 1];   /* each window's largest logit */
  float backward[HRT_NUM_CLASSES];
  float scratch[HRT_NUM_CLASSES];
  int newest;  /* ring slot of the newest window */
  int pending; /* windows whose class is not given yet */
} hrt_lag_state;

void hrt_reset(float *belief);
int hrt_step_int8(const int8_t *logits, int steps, float *belief,
                  float *scratch);
float hrt_class_to_bpm(int cls);

void hrt_lag_reset(hrt_lag_state *state);
int hrt_lag_step_int8(hrt_lag_state *state, const int8_t *logits, int steps);
int hrt_lag_flush(hrt_lag_state *state);
size_t hrt_lag_state_bytes(void);

#endif /* HR_TRACKER_H_ */
