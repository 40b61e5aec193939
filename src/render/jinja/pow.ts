/**
 * `x ** y` of floats as CPython computes it: C's pow(), which glibc rounds
 * correctly. V8's Math.pow does not (`10 ** -5` gives 9.999999999999999e-06,
 * `1.05 ** 10` a last digit off): in a namelist that is a wrong number. So
 * the power is computed here exactly where it can be (an integer exponent:
 * exact rational arithmetic on BigInts) and otherwise in fixed point with
 * as many bits as it takes to know the correctly rounded double (Ziv's
 * method: compute with an error bound; if both ends of the interval round
 * to the same double, that is the answer; else use more bits).
 *
 * Only finite x > 0 and finite y reach correctlyRoundedPow; the caller
 * handles zero, signs, infinities and NaN as Python does.
 */

const MANTISSA_BITS = 53;
const MIN_EXPONENT = -1074; // of the smallest subnormal's last bit

/**
 * The double nearest to num/den * 2**exp2 (num, den > 0), ties to even
 * (Infinity past the largest), and whether the exact value lies within 2**-12 of a unit in
 * the last place of the halfway point between two doubles. glibc's pow,
 * which CPython calls, is accurate to about 0.52 units in the last place,
 * not always correctly rounded: there it may round either way.
 */
function rounded(num: bigint, den: bigint, exp2: number): { value: number; nearTie: boolean } {
  // A quotient of at least 53 + GUARD bits: rounding sees the guard bits, and the remainder is sticky.
  const shift = MANTISSA_BITS + GUARD + bitLength(den) - bitLength(num);
  if (shift > 0) num <<= BigInt(shift);
  else den <<= BigInt(-shift);
  const q = num / den;
  const inexact = num % den !== 0n;
  const e = exp2 - shift;
  const bits = bitLength(q);
  const top = bits - 1 + e; // the value lies in [2**top, 2**(top+1))
  if (top > 1023) return { value: Infinity, nearTie: false };
  // Bits kept: 53 for a normal result; fewer below the smallest normal.
  const lowest = Math.max(top - (MANTISSA_BITS - 1), MIN_EXPONENT);
  const drop = lowest - e;
  const dropped = BigInt(drop);
  let kept = q >> dropped;
  const rest = q & ((1n << dropped) - 1n);
  const half = 1n << (dropped - 1n);
  const distance = rest > half ? rest - half : half - rest;
  const nearTie = drop > 12 ? distance < 1n << (dropped - 12n) : true;
  if (rest > half || (rest === half && (inexact || (kept & 1n) === 1n))) kept += 1n;
  return { value: scale(Number(kept), lowest), nearTie };
}

const GUARD = 40;

/** v * 2**k, exactly when the result is representable (v is a whole number below 2**54). */
function scale(v: number, k: number): number {
  while (k > 1000) {
    v *= 2 ** 1000;
    k -= 1000;
  }
  while (k < -1000) {
    // Steps that keep v exact until the last one, which rounds nothing: v was rounded to the bits the result holds.
    v *= 2 ** -1000;
    k += 1000;
  }
  return v * 2 ** k;
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** A finite double as mantissa * 2**exponent, the mantissa a whole number. */
function decompose(x: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased === 0) return { mantissa, exponent: MIN_EXPONENT };
  mantissa |= 1n << 52n;
  return { mantissa, exponent: biased - 1075 };
}

/**
 * x ** y, correctly rounded, for finite x > 0 and finite y; Infinity when it
 * overflows, 0 when it underflows. `nearTie`: the exact value lies so close
 * to halfway between two doubles that glibc's pow may give the other one
 * (10.0 ** 23 is exactly halfway; Python prints 1.0000000000000001e+23).
 */
export function correctlyRoundedPow(x: number, y: number): { value: number; nearTie: boolean } {
  if (y === 0 || x === 1) return { value: 1, nearTie: false };
  if (Number.isInteger(y) && Math.abs(y) <= 256) return integerPower(x, y);
  for (let precision = 160; precision <= 2560; precision *= 2) {
    const found = powAtPrecision(x, y, precision);
    if (found !== undefined) return found;
  }
  return { value: Math.pow(x, y), nearTie: true }; // the interval straddled a rounding boundary at 2,560 bits
}

/** Exact: x**n for a whole n is a rational whose numerator and denominator BigInts hold exactly. */
function integerPower(x: number, n: number): { value: number; nearTie: boolean } {
  const { mantissa, exponent } = decompose(x);
  const k = BigInt(Math.abs(n));
  const power = mantissa ** k;
  return n > 0 ? rounded(power, 1n, exponent * n) : rounded(1n, power, exponent * n);
}

/** Fixed-point numbers with `p` fraction bits. */
function powAtPrecision(x: number, y: number, p: number): { value: number; nearTie: boolean } | undefined {
  const P = BigInt(p);
  const one = 1n << P;
  // Products truncated toward zero (a shift would floor negative ones, and a series of them would never reach 0).
  const mul = (a: bigint, b: bigint) => (a * b) / one;
  const ln2 = ln2Fixed(p);
  // x = a * 2**k with a in [1/sqrt2, sqrt2): ln x = ln a + k ln 2.
  const { mantissa, exponent } = decompose(x);
  let k = exponent + bitLength(mantissa) - 1;
  let a = mantissa << BigInt(p - (bitLength(mantissa) - 1)); // a / 2**p in [1, 2)
  if (a * a > 2n * one * one) {
    a >>= 1n;
    k += 1;
  }
  const lnA = 2n * atanhFixed(((a - one) << P) / (a + one), p);
  const lnX = lnA + BigInt(k) * ln2;
  // t = y * ln x, with y = ym * 2**ye exactly.
  const { mantissa: ym, exponent: ye } = decompose(Math.abs(y));
  let t = lnX * ym;
  t = ye >= 0 ? t << BigInt(ye) : t >> BigInt(-ye);
  if (y < 0) t = -t;
  // Far outside the range of doubles: settle it without the series.
  const tApprox = Number(t >> (P - 32n)) / 2 ** 32;
  if (tApprox > 710) return { value: Infinity, nearTie: false };
  if (tApprox < -746) return { value: 0, nearTie: false };
  // exp(t) = exp(r) * 2**n with r = t - n ln 2, |r| <= ln 2 / 2.
  const n = roundDiv(t, ln2);
  const r = t - n * ln2;
  const e = expFixed(r, p, mul);
  // Error: the series and ln 2 are off by a few units in the last place each, and y * ln x multiplies
  // the error of ln x by |y| (at most 2**11 times for a result that is neither 0 nor Infinity).
  const err = 1n << BigInt(24 + Math.max(0, Math.ceil(Math.log2(Math.abs(y) + 1))));
  const low = rounded(e - err, one, Number(n));
  const high = rounded(e + err, one, Number(n));
  if (low.value !== high.value) return undefined;
  return { value: low.value, nearTie: low.nearTie || high.nearTie };
}

function roundDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  const r = a - q * b;
  if (2n * (r < 0n ? -r : r) >= b) return q + (r < 0n === b < 0n ? 1n : -1n);
  return q;
}

/** atanh(z) for a fixed-point z (|z| <= 1/3), by its series z + z**3/3 + z**5/5 + ... */
function atanhFixed(z: bigint, p: number): bigint {
  if (z < 0n) return -atanhFixed(-z, p);
  const P = BigInt(p);
  const z2 = (z * z) >> P;
  let term = z;
  let sum = 0n;
  for (let i = 1n; term !== 0n; i += 2n) {
    sum += term / i;
    term = (term * z2) >> P;
  }
  return sum;
}

/** ln 2 with `p` fraction bits: 2 atanh(1/3). */
function ln2Fixed(p: number): bigint {
  const cached = LN2.get(p);
  if (cached !== undefined) return cached;
  const P = BigInt(p);
  const value = 2n * atanhFixed((1n << P) / 3n, p);
  LN2.set(p, value);
  return value;
}
const LN2 = new Map<number, bigint>();

/** exp(r) for a fixed-point |r| <= ln 2 / 2, by its Taylor series. */
function expFixed(r: bigint, p: number, mul: (a: bigint, b: bigint) => bigint): bigint {
  const one = 1n << BigInt(p);
  let term = one;
  let sum = one;
  for (let i = 1n; term !== 0n; i++) {
    term = mul(term, r) / i;
    sum += term;
  }
  return sum;
}
