#include "cancel_motion.h"

#include <math.h>

void ppg_still_axes(const float *raw, int n_raw, float *acc, int n) {
  for (int i = 0; i < 3; ++i) {
    float low = raw[i], high = raw[i];
    for (int t = 1; t < n_raw; ++t) {
      const float v = raw[3 * t + i];
      low = v < low ? v : low;
      high = v > high ? v : high;
    }
    const float level = fabsf(low) > fabsf(high) ? fabsf(low) : fabsf(high);
    if (high - low <= PPG_STILL_RELATIVE * level) {
      for (int t = 0; t < n; ++t) acc[3 * t + i] = 0.0f;
    }
  }
}

/* Largest |x - centre| over n values spaced by stride (0 when flat). */
static float peak(const float *x, int stride, int n, float centre) {
  float most = 0.0f;
  for (int t = 0; t < n; ++t) {
    const float v = fabsf(x[stride * t] - centre);
    most = v > most ? v : most;
  }
  return most;
}

void ppg_cancel_motion(float *ppg, const float *acc, int n) {
  /* The PPG scaled to at most 1 (the result is standardised anyway), so
   * that no sum below overflows or underflows float32. */
  const float top = peak(ppg, 1, n, 0.0f);
  if (top > 0.0f && isfinite(top)) {
    for (int t = 0; t < n; ++t) ppg[t] /= top;
  }
  /* Each centred axis scaled to unit energy. An axis whose variation is
   * negligible beside its level (float rounding of a constant) or below
   * 1e-30 gets scale 0 and explains nothing. */
  float mean[3] = {0.0f, 0.0f, 0.0f}, unit[3] = {0.0f, 0.0f, 0.0f};
  for (int i = 0; i < 3; ++i) {
    for (int t = 0; t < n; ++t) mean[i] += acc[3 * t + i] / (float)n;
    const float most = peak(acc + i, 3, n, mean[i]);
    const float level = peak(acc + i, 3, n, 0.0f);
    if (!(most > 1e-30f && isfinite(most) && isfinite(level)) ||
        most <= PPG_STILL_RELATIVE * level) {
      continue;
    }
    float energy = 0.0f;
    for (int t = 0; t < n; ++t) {
      const float v = (acc[3 * t + i] - mean[i]) / most;
      energy += v * v;
    }
    unit[i] = (1.0f / most) / sqrtf(energy);
  }

  /* Normal equations G w = b of the PPG on the unit axes, with the ridge
   * PPG_CANCEL_RIDGE on G's unit diagonal: near-collinear or identical
   * axes stay well conditioned in float32. */
  float g[3][3] = {{0}}, b[3] = {0.0f, 0.0f, 0.0f};
  for (int t = 0; t < n; ++t) {
    float a[3];
    for (int i = 0; i < 3; ++i) a[i] = (acc[3 * t + i] - mean[i]) * unit[i];
    for (int i = 0; i < 3; ++i) {
      b[i] += a[i] * ppg[t];
      for (int j = 0; j <= i; ++j) g[i][j] += a[i] * a[j];
    }
  }
  for (int i = 0; i < 3; ++i) g[i][i] += PPG_CANCEL_RIDGE;
  /* Cholesky G = L L^T, then L y = b and L^T w = y. */
  const float l00 = sqrtf(g[0][0]), l10 = g[1][0] / l00, l20 = g[2][0] / l00;
  const float l11 = sqrtf(g[1][1] - l10 * l10);
  const float l21 = (g[2][1] - l20 * l10) / l11;
  const float l22 = sqrtf(g[2][2] - l20 * l20 - l21 * l21);
  const float y0 = b[0] / l00, y1 = (b[1] - l10 * y0) / l11;
  const float y2 = (b[2] - l20 * y0 - l21 * y1) / l22;
  const float w2 = y2 / l22, w1 = (y1 - l21 * w2) / l11;
  const float w0 = (y0 - l10 * w1 - l20 * w2) / l00;
  const float w[3] = {w0 * unit[0], w1 * unit[1], w2 * unit[2]};

  /* The residual, standardised (zero mean, unit variance). */
  float sum = 0.0f, squares = 0.0f;
  for (int t = 0; t < n; ++t) {
    for (int i = 0; i < 3; ++i) ppg[t] -= w[i] * (acc[3 * t + i] - mean[i]);
    sum += ppg[t];
  }
  const float centre = sum / (float)n;
  for (int t = 0; t < n; ++t) {
    ppg[t] -= centre;
    squares += ppg[t] * ppg[t];
  }
  const float scale = 1.0f / (sqrtf(squares / (float)n) + 1e-8f);
  for (int t = 0; t < n; ++t) ppg[t] *= scale;
}
