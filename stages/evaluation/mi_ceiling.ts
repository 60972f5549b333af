/**
 * Reading the mutual-information estimate against its ceiling log N.
 *
 * mutual_information.ts takes q(z), the aggregate posterior, as the mean of the same N
 * examples' posteriors: a minibatch of N, each z_i's own posterior among them with weight
 * 1/N. So q(z_i) ≥ q(z_i|x_i)/N, and with the closed-form entropy term
 *   estimate ≤ log N + (1/N) Σ_i ½ (‖ε_i‖² − d),
 * the last term the noise of one drawn z_i = μ_i + σ_i·ε_i per example beside the exact
 * E_q log q(z|x_i): mean 0, standard deviation √(d / 2N) (½(ε² − 1) has variance ½). The
 * estimate can pass log N by that noise, never more. When the posteriors barely overlap
 * (no regularizer), every q(z_i) is its own posterior's 1/N share and the estimate sits at
 * log N whatever the information in z: there it is biased low, a floor on I_q(x; z) of the
 * data distribution rather than an estimate of it.
 */

/** The standard deviation of the estimate's excess over log N: √(d / 2N). */
export function miCeilingNoise(latentDim: number, logN: number): number {
  return Math.sqrt(latentDim / (2 * Math.exp(logN)));
}

/**
 * Whether the estimate has reached its ceiling: above log N, or within three noise
 * standard deviations below it. Then it says I_q(x; z) is at least about log N, not what it is.
 */
export function atMiCeiling(mutualInformation: number, logN: number, latentDim: number): boolean {
  return mutualInformation > logN - 3 * miCeilingNoise(latentDim, logN);
}

/** The estimate beside its ceiling in one phrase, never an inequality the numbers break. */
export function miAgainstCeiling(
  mutualInformation: number,
  logN: number,
  latentDim: number,
  digits = 2,
): string {
  const [mi, ceiling] = [mutualInformation.toFixed(digits), logN.toFixed(digits)];
  return atMiCeiling(mutualInformation, logN, latentDim)
    ? `${mi}, at its ceiling log N = ${ceiling} (saturated, biased low)`
    : `${mi} of at most log N = ${ceiling}`;
}
