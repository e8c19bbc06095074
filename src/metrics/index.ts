/** Metrics of reconstructions against ground truth: alignment, MAE/MSE/PSNR, SSIM, MS-SSIM, FRC. */
export * from './image.js';
export * from './filters.js';
export * from './basic.js';
export * from './ssim.js';
export * from './frc.js';
export * from './registration.js';
export * from './align.js';
export * from './evaluate.js';
