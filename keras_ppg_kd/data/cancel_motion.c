#include "cancel_motion.h"

#include <math.h>

void ppg_cancel_motion(float *ppg, const float *acc, int n) {
  float mean[3] = {0.0f, 0.0f, 0.0f};
  for (int t = 0; t < n; ++t) {
    for (int i = 0; i < 3; ++i) mean[i] += acc[3 * t + i];
  }
  for (int i = 0; i < 3; ++i) mean[i] /= (float)n;

  /* Normal equations G w = b of the PPG on the centred axes. */
  float g00 = 0, g01 = 0, g02 = 0, g11 = 0, g12 = 0, g22 = 0;
  float b0 = 0, b1 = 0, b2 = 0;
  for (int t = 0; t < n; ++t) {
    const float a0 = acc[3 * t] - mean[0], a1 = acc[3 * t + 1] - mean[1],
                a2 = acc[3 * t + 2] - mean[2];
    g00 += a0 * a0, g01 += a0 * a1, g02 += a0 * a2;
    g11 += a1 * a1, g12 += a1 * a2, g22 += a2 * a2;
    b0 += a0 * ppg[t], b1 += a1 * ppg[t], b2 += a2 * ppg[t];
  }
  /* A tiny ridge keeps a still (or one-axis) accelerometer solvable. */
  const float ridge = 1e-9f * (g00 + g11 + g22) + 1e-12f;
  g00 += ridge, g11 += ridge, g22 += ridge;
  /* Cramer's rule on the symmetric 3 x 3 system. */
  const float c00 = g11 * g22 - g12 * g12, c01 = g02 * g12 - g01 * g22,
              c02 = g01 * g12 - g02 * g11;
  const float det = g00 * c00 + g01 * c01 + g02 * c02;
  const float w0 = (b0 * c00 + b1 * c01 + b2 * c02) / det;
  const float w1 = (b0 * c01 + b1 * (g00 * g22 - g02 * g02) +
                    b2 * (g01 * g02 - g00 * g12)) / det;
  const float w2 = (b0 * c02 + b1 * (g01 * g02 - g00 * g12) +
                    b2 * (g00 * g11 - g01 * g01)) / det;

  /* The residual, standardised (zero mean, unit variance). */
  float sum = 0.0f, squares = 0.0f;
  for (int t = 0; t < n; ++t) {
    ppg[t] -= w0 * (acc[3 * t] - mean[0]) + w1 * (acc[3 * t + 1] - mean[1]) +
              w2 * (acc[3 * t + 2] - mean[2]);
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
