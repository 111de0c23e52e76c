/* Motion cancellation of one PPG window (WindowConfig.cancel_motion).
 *
 * Plain C99, no allocation. Give it the window as the protocol makes it up
 * to this step: PPG and 3-axis accelerometer resampled to the protocol's
 * rate and band-passed. It removes from the PPG its least-squares fit on
 * the three centred axes and standardises what is left, in place, as
 * keras_ppg_kd's windows_from_recording does:
 *   ppg_cancel_motion(ppg, acc, 200);    acc: 200 rows of x, y, z
 * Cost per 200-sample window: about 3,400 multiply-adds and a 3 x 3 solve.
 */
#ifndef PPG_CANCEL_MOTION_H_
#define PPG_CANCEL_MOTION_H_

void ppg_cancel_motion(float *ppg, const float *acc, int n);

#endif /* PPG_CANCEL_MOTION_H_ */
