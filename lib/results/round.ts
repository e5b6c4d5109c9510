/**
 * Roboflow's rounding of single-label confidences: Python's round(x, 4), exactly (see the spec's
 * "Decisions").
 */

/**
 * Python's round(x, 4): the exact binary value rounded half to even. The only doubles
 * exactly halfway between two 4-decimal numbers are odd multiples of 1/32 (x * 20000
 * must be an odd integer); everything else is rounded correctly by toFixed.
 */
export function roundConfidence(x: number): number {
  // Fast path: x * 10000 is within ~1e-12 of the exact product for |x| < 1e5, so unless that product
  // is within 1e-6 of a half, rounding it gives the correctly rounded decimal; r / 10000 is then the
  // double nearest that decimal, as Number(x.toFixed(4)) would be.
  const scaled = x * 10000;
  if (Math.abs(scaled) < 1e9) {
    const floor = Math.floor(scaled);
    const frac = scaled - floor;
    if (Math.abs(frac - 0.5) > 1e-6) {
      const r = frac > 0.5 ? floor + 1 : floor;
      return r === 0 && x < 0 ? -0 : r / 10000;
    }
  }
  const times32 = x * 32; // exact: a power of two
  if (Number.isInteger(times32) && times32 % 2 !== 0) {
    const lower = Math.floor(x * 10000); // exact: x*10000 = n + 0.5 is representable
    return (lower % 2 === 0 ? lower : lower + 1) / 10000;
  }
  return Number(x.toFixed(4));
}
