/* Heart-rate tracker; see hr_tracker.h. Mirrors HRTracker.step and
 * HRTracker.fixed_lag. */
#include "hr_tracker.h"

/* The belief before any window: HRTracker.initial_state. */
void hrt_reset(float *belief) {
  for (int c = 0; c < HRT_NUM_CLASSES; ++c) {
#if HRT_HAS_PRIOR
    belief[c] = hrt_prior[c];
#else
    belief[c] = 1.0f / HRT_NUM_CLASSES;
#endif
  }
}

/* belief <- (1 - jump) * (laplace * belief) + jump * sum(belief) / C,
 * with laplace[d] = norm * rho^|d|: a forward and a backward first-order
 * recursion, O(C) whatever the scale; then divided by its sum, so that mass
 * leaking over the range's edges cannot underflow over a long gap. */
static void hrt_predict(float *belief, float *scratch) {
  float total = 0.0f;
  float acc = 0.0f;
  for (int c = 0; c < HRT_NUM_CLASSES; ++c) {
    acc = belief[c] + HRT_RHO * acc;
    scratch[c] = acc;
    total += belief[c];
  }
  const float floor = HRT_JUMP * total / HRT_NUM_CLASSES;
  const float keep = (1.0f - HRT_JUMP) * HRT_KERNEL_NORM;
  acc = 0.0f;
  float after = 0.0f;
  for (int c = HRT_NUM_CLASSES - 1; c >= 0; --c) {
    acc = belief[c] + HRT_RHO * acc;
    belief[c] = keep * (scratch[c] + acc - belief[c]) + floor;
    after += belief[c];
  }
  if (after > 0.0f) {
    const float inverse = 1.0f / after;
    for (int c = 0; c < HRT_NUM_CLASSES; ++c) belief[c] *= inverse;
  }
}

/* The first class of the largest value. The running maximum is kept in a
 * register: comparing with values[best] would make each iteration wait
 * for a load that depends on the last one. */
static int hrt_argmax(const float *values) {
  int best = 0;
  float top = values[0];
  for (int c = 1; c < HRT_NUM_CLASSES; ++c) {
    if (values[c] > top) {
      top = values[c];
      best = c;
    }
  }
  return best;
}

/* The belief after `steps` strides and a window whose largest logit is
 * `top`: hrt_step_int8 without its argmax. */
static void hrt_filter(const int8_t *logits, int top, int steps,
                       float *belief, float *scratch) {
  if (steps <= 0) {
    hrt_reset(belief);
    steps = 1;
  }
  if (steps > HRT_MAX_STEPS) steps = HRT_MAX_STEPS;
  for (int s = 0; s < steps; ++s) {
    hrt_predict(belief, scratch);
  }
  /* emission: softmax(scale * (q - zp) / T) = lut[top - q] / sum */
  float sum = 0.0f;
  for (int c = 0; c < HRT_NUM_CLASSES; ++c) {
    belief[c] *= hrt_exp_lut[top - logits[c]];
    sum += belief[c];
  }
  if (!(sum >= HRT_RESTART_BELOW)) {
    /* The prior and this window disagree beyond float range (or the state
     * was corrupted): restart from the window alone, as HRTracker.step. */
    sum = 0.0f;
    for (int c = 0; c < HRT_NUM_CLASSES; ++c) {
      belief[c] = hrt_exp_lut[top - logits[c]];
      sum += belief[c];
    }
  }
  const float inverse = 1.0f / sum;
  for (int c = 0; c < HRT_NUM_CLASSES; ++c) belief[c] *= inverse;
}

int hrt_step_int8(const int8_t *logits, int steps, float *belief,
                  float *scratch) {
  int top = logits[0];
  for (int c = 1; c < HRT_NUM_CLASSES; ++c) {
    if (logits[c] > top) top = logits[c];
  }
  hrt_filter(logits, top, steps, belief, scratch);
  return hrt_argmax(belief);
}

float hrt_class_to_bpm(int cls) {
  return HRT_MIN_BPM + HRT_RESOLUTION * (float)cls;
}

/* === Fixed lag === */

void hrt_lag_reset(hrt_lag_state *state) {
  state->newest = 0;
  state->pending = 0;
  hrt_reset(state->belief[0]); /* what the first window's step starts from */
}

size_t hrt_lag_state_bytes(void) { return sizeof(hrt_lag_state); }

static int hrt_slot(const hrt_lag_state *state, int back) {
  return (state->newest - back + 2 * (HRT_LAG + 1)) % (HRT_LAG + 1);
}

/* One backward stride through a window, HRTracker._backward_step: the
 * message `backward * scale` (scale: a normalisation not applied yet) times
 * the window's emission, through the transition (`steps` strides). A
 * reset, or a window that contradicts the future beyond float range (the
 * product sums below HRT_RESTART_BELOW), leaves a uniform message. Fuses
 * the emission product into the first recursion and the normalisation into
 * the next stride; returns the new scale (the message is
 * `backward * returned`, summing to 1). */
static float hrt_backward(float *backward, float *scratch,
                          const int8_t *logits, int top, int steps,
                          float scale) {
  float total = 0.0f;
  float acc = 0.0f;
  if (steps > 0) {
    for (int c = 0; c < HRT_NUM_CLASSES; ++c) {
      const float message = backward[c] * hrt_exp_lut[top - logits[c]];
      backward[c] = message;
      acc = message + HRT_RHO * acc;
      scratch[c] = acc;
      total += message;
    }
    total *= scale;
  }
  if (!(total >= HRT_RESTART_BELOW)) {
    for (int c = 0; c < HRT_NUM_CLASSES; ++c) backward[c] = 1.0f;
    return 1.0f / HRT_NUM_CLASSES;
  }
  /* The Laplace kernel is symmetric: the same transition as hrt_predict. */
  const float floor = HRT_JUMP * total / HRT_NUM_CLASSES;
  const float keep = (1.0f - HRT_JUMP) * HRT_KERNEL_NORM * scale;
  float after = 0.0f;
  acc = 0.0f;
  for (int c = HRT_NUM_CLASSES - 1; c >= 0; --c) {
    acc = backward[c] + HRT_RHO * acc;
    backward[c] = keep * (scratch[c] + acc - backward[c]) + floor;
    after += backward[c];
  }
  if (steps == 1) return 1.0f / after;
  const float inverse = 1.0f / after; /* a gap: more strides, normalised */
  for (int c = 0; c < HRT_NUM_CLASSES; ++c) backward[c] *= inverse;
  if (steps > HRT_MAX_STEPS) steps = HRT_MAX_STEPS;
  for (int s = 1; s < steps; ++s) hrt_predict(backward, scratch);
  return 1.0f;
}

/* The class of the window `age` windows before the newest, given the
 * windows after it: its forward belief times the backward message
 * (HRTracker._combine). */
static int hrt_lag_estimate(hrt_lag_state *state, int age) {
  const float *forward = state->belief[hrt_slot(state, age)];
  float *backward = state->backward;
  if (age == 0) return hrt_argmax(forward);
  float scale = 1.0f;
  for (int c = 0; c < HRT_NUM_CLASSES; ++c) backward[c] = 1.0f;
  for (int back = 0; back < age; ++back) { /* the newest window first */
    const int slot = hrt_slot(state, back);
    scale = hrt_backward(backward, state->scratch, state->logits[slot],
                         state->top[slot], state->steps[slot], scale);
  }
  float sums[4] = {0.0f, 0.0f, 0.0f, 0.0f}; /* four chains, not one */
  int best = 0; /* the argmax, in the same pass */
  float top = -1.0f;
  for (int c = 0; c < HRT_NUM_CLASSES; ++c) {
    const float joint = backward[c] * (forward[c] * scale);
    sums[c & 3] += joint;
    if (joint > top) {
      top = joint;
      best = c;
    }
  }
  const float sum = (sums[0] + sums[1]) + (sums[2] + sums[3]);
  /* Where they contradict beyond float range, the forward belief alone
   * (the posterior is a positive multiple of the joint: same argmax). */
  return sum >= HRT_RESTART_BELOW ? best : hrt_argmax(forward);
}

int hrt_lag_step_int8(hrt_lag_state *state, const int8_t *logits,
                      int steps) {
  if (HRT_LAG == 0) {
    return hrt_step_int8(logits, steps, state->belief[0], state->scratch);
  }
  const int previous = state->newest;
  const int slot = (previous + 1) % (HRT_LAG + 1);
  float *belief = state->belief[slot];
  int top = logits[0];
  /* a new slot: the last belief, this window's logits */
  for (int c = 0; c < HRT_NUM_CLASSES; ++c) {
    belief[c] = state->belief[previous][c];
    state->logits[slot][c] = logits[c];
    if (logits[c] > top) top = logits[c];
  }
  state->newest = slot;
  state->steps[slot] = steps;
  state->top[slot] = top;
  hrt_filter(logits, top, steps, belief, state->scratch); /* no argmax */
  state->pending += 1;
  if (state->pending <= HRT_LAG) return -1;
  state->pending -= 1;
  return hrt_lag_estimate(state, HRT_LAG);
}

int hrt_lag_flush(hrt_lag_state *state) {
  if (state->pending <= 0) return -1;
  state->pending -= 1;
  return hrt_lag_estimate(state, state->pending);
}
