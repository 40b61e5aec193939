#!/bin/sh
# A toy "model": equilibrium warming = sensitivity * log2(co2 / 280), plus a
# little noise from the seed. Reads the namelist given as its argument.
awk -F'=' '
  /co2/         { co2 = $2 + 0 }
  /seed/        { seed = $2 + 0 }
  /sensitivity/ { s = $2 + 0 }
  END {
    warming = s * log(co2 / 280) / log(2) + (seed % 3) * 0.01
    printf "co2 = %d\nseed = %d\nwarming = %.3f\n", co2, seed, warming
  }' "$1"
sleep 0.2
