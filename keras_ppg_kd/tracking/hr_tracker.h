/* Causal heart-rate tracker (HMM forward filter) for a microcontroller.
 *
 * Plain C99, no allocation, no libm in the int8 path. The parameters
 * (transition kernel, jump probability, emission lookup table) come from
 * hr_tracker_params.h, written by keras_ppg_kd's HRTracker.export_c().
 *
 * State: `belief` and `scratch`, HRT_NUM_CLASSES floats each, owned by the
 * caller. Per window:
 *   hrt_reset(belief);                       once, or after a long gap
 *   cls = hrt_step_int8(logits, steps, belief, scratch);
 *   bpm = hrt_class_to_bpm(cls);
 * `steps` is the number of strides since the previous window (1 without a
 * gap; 0 resets the belief first, as HRTracker does for gaps longer than
 * max_gap_seconds). `logits` are the int8 student's raw output.
 */
#ifndef HR_TRACKER_H_
#define HR_TRACKER_H_

#include <stdint.h>

#include "hr_tracker_params.h"

void hrt_reset(float *belief);
int hrt_step_int8(const int8_t *logits, int steps, float *belief,
                  float *scratch);
float hrt_class_to_bpm(int cls);

#endif /* HR_TRACKER_H_ */
