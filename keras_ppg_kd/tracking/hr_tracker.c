/* Causal heart-rate tracker; see hr_tracker.h. Mirrors HRTracker.step. */
#include "hr_tracker.h"

void hrt_reset(float *belief) {
  for (int c = 0; c < HRT_NUM_CLASSES; ++c) {
    belief[c] = 1.0f / HRT_NUM_CLASSES;
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

int hrt_step_int8(const int8_t *logits, int steps, float *belief,
                  float *scratch) {
  if (steps <= 0) {
    hrt_reset(belief);
    steps = 1;
  }
  if (steps > HRT_MAX_STEPS) steps = HRT_MAX_STEPS;
  for (int s = 0; s < steps; ++s) {
    hrt_predict(belief, scratch);
  }
  int top = logits[0];
  for (int c = 1; c < HRT_NUM_CLASSES; ++c) {
    if (logits[c] > top) top = logits[c];
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
  int best = 0;
  for (int c = 0; c < HRT_NUM_CLASSES; ++c) {
    belief[c] *= inverse;
    if (belief[c] > belief[best]) best = c;
  }
  return best;
}

float hrt_class_to_bpm(int cls) {
  return HRT_MIN_BPM + HRT_RESOLUTION * (float)cls;
}
