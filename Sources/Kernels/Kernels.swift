// The `Kernels` module: scalar references (`Reference`) and the fast kernels on `KernelContext`.
//
// How the executor maps StyleGAN2 ops onto the fast kernels (weights packed once at load):
//
//   dense (mapping, affine)     PackedDenseWeights(weight:, outFeatures:, inFeatures:, weightGain:)
//                               → ctx.dense(x, n:, weights:, bias:, epilogue:, into:)
//   conv, up 1 (k = 1 or 3)     PackedConvWeights(weight:, …, weightGain:)          (layout .conv)
//                               → ctx.conv2d(x, shape:, weights:, padding:, into:)
//   modulated conv, up 1        same packed weights (weightGain 1), then per call:
//                                 weights.demodulation(styles:, batch:, styleGain:, into: d)   (if demodulate)
//                                 ctx.conv2d(x, shape:, weights:, padding:, inputScale: styles,
//                                            inputScaleGain: styleGain, outputScale: d or nil, into: y)
//   modulated conv, up 2, k = 3 PackedConvWeights(…, layout: .transposed) (the same [O, I, k, k] tensor)
//                               → ctx.convTranspose2dStride2(x, …, inputScale:, inputScaleGain:, outputScale:, into: t)
//                               → ctx.upfirdn2d(t, …, filter:, up: 1, down: 1, padding: (p0, p1), into: y)
//                                 (p0 = p + (fw + 1) / 2 − (k − 1), p1 = p + (fw − 2) / 2 − (k − 2), as today)
//   modulated conv, up 2, k = 1 ctx.upfirdn2d(x, up: 2, padding: (p + (fw + 1) / 2, p + (fw − 2) / 2)) then conv2d
//   upfirdn2d                   FIRFilter(filter, taps:, separable:, gain:) once → ctx.upfirdn2d(…)
//   noise + biasAct (+ skip)    ctx.biasNoiseAct(y, shape:, noise:, noiseStrength:, bias:, epilogue:, addend:)
//                               (bit-identical to noise injection, then Reference.biasAct, then img + y)
//
// Results never depend on the thread count; the instruction-set path (AVX2/FMA or portable)
// changes rounding only (FMA), within the tolerances the tests state.
