/* Motion cancellation of one PPG window (WindowConfig.cancel_motion).
 *
 * Plain C99, no allocation. Give it the window as the protocol makes it up
 * to this step: PPG and 3-axis accelerometer resampled to the protocol's
 * rate and band-passed. It removes from the PPG its least-squares fit on
 * the three centred axes (each scaled to unit energy, with a ridge of
 * PPG_CANCEL_RIDGE, so that identical or nearly collinear axes and values
 * of any size stay well conditioned in float32) and standardises what is
 * left, in place, as keras_ppg_kd's windows_from_recording does:
 *   ppg_still_axes(raw, n_raw, acc, 200);  raw: the window's n_raw rows of
 *                                          x, y, z before resampling
 *   ppg_cancel_motion(ppg, acc, 200);      acc: 200 rows of x, y, z
 * ppg_still_axes zeroes in `acc` each axis whose raw window is still (it
 * varies by at most PPG_STILL_RELATIVE of its level: a wrist at rest
 * reading gravity), which then explains nothing.
 * Cost per 200-sample window: about 4,000 multiply-adds and a 3 x 3
 * Cholesky solve.
 */
#ifndef PPG_CANCEL_MOTION_H_
#define PPG_CANCEL_MOTION_H_

#define PPG_CANCEL_RIDGE 1e-3f
#define PPG_STILL_RELATIVE 1e-5f

void ppg_still_axes(const float *raw, int n_raw, float *acc, int n);
void ppg_cancel_motion(float *ppg, const float *acc, int n);

#endif /* PPG_CANCEL_MOTION_H_ */
