/**
 * What every number in metrics.json is, written into the file itself so that it travels
 * with the numbers. All in nats per example unless a line says otherwise.
 */
export const DEFINITIONS = {
  negElbo: "−ELBO with β = 1 (distortion + rate), whatever objective the model was trained " +
    "with: an upper bound on −log p(x) (vae) or on −log p(x|y) with the true label (CVAEs)",
  distortion: "E_q[−log p(x|z)] under the likelihood above, one seeded z = μ + σ·ε per " +
    "example (z = μ for an ae)",
  rate: "KL(q(z|x) ‖ p(z)) in closed form, against N(0, I) (vae, cvae-concat) or N(μ^Y, I) " +
    "of the true class (cvae-prior)",
  bceMeanZ: "BCE of the decoder's pixel means against x, summed over pixels, at z = μ (for a " +
    "Bernoulli decoder the same as −log p(x|z); for a Gaussian one, of its means clipped to " +
    "[1e-6, 1 − 1e-6])",
  bceSampledZ: "the same BCE at the sampled z of distortion",
  mseMeanZ: "Σ over pixels of (x − pixel mean)² at z = μ: squared error per example, not nats",
  mseSampledZ: "the same squared error at the sampled z of distortion",
  activeUnits: "latent dimensions with Var_x(μ_j) > 0.01 (Burda et al. 2015), see kl_per_dim.csv",
  mutualInformation: "I_q(x; z) in nats, He et al. 2019's calc_mi over miExamples seeded, " +
    "stratified test examples: E[log q(z|x)] (closed form) − E[log q(z)] with one z per " +
    "example, q(z) the mean of the same N examples' posteriors (a minibatch aggregate " +
    "posterior, each z's own posterior weighted 1/N). So q(z_i) ≥ q(z_i|x_i)/N and the " +
    "estimate is at most logN + (1/N) Σ_i ½(‖ε_i‖² − d), noise of mean 0 and sd √(d/2N): " +
    "it can pass logN by that noise. Near logN it is saturated and biased low (posteriors " +
    "that do not overlap give logN whatever I_q(x; z) of the data distribution is)",
  logN: "log of miExamples (N): the ceiling of mutualInformation, up to the noise of one z " +
    "per example (sd √(latentDim/2N))",
  iw: "log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x), z_k ~ q(z|x) (Burda et al. 2015), mean and " +
    "standard error over iwExamples seeded, stratified test examples: a lower bound on " +
    "log p(x) (vae), or on log p(x|y) with the true label (CVAEs: p(z|y) for cvae-prior, " +
    "q(z|x,y) and p(x|z,y) for cvae-concat), that tightens with K; the draws are nested " +
    "(each K uses the first K of the largest K's draws); K = 1 is the ELBO in expectation; " +
    "rise ± riseStdError: the mean of L_K(x) − ELBO(x) over the same examples, its standard " +
    "error paired per example",
  iwExamplesElbo: "the mean ELBO (as negElbo, negated) of the iwExamples examples the IW " +
    "bound uses: its K = 1 value in expectation, the baseline its tightening is read from",
  train: "the same terms over the whole prepare train split (any validation rows included)",
  aggregatePosterior: "q(z) = E_x q(z|x) on the test split, per dimension: mean E[μ_j] and " +
    "variance E[σ_j²] + Var(μ_j)",
  logPxGivenY: "mean ELBO with the true label: a lower bound on log p(x|y) (= −test.negElbo)",
  logPx: "mean over test examples of log Σ_y (1/C) exp(ELBO(x, y)), each label's ELBO " +
    "with the same seeded z draw: an estimate of a lower bound on log p(x) under a uniform " +
    "label prior p(y) = 1/C",
  sampleAccuracy: "fraction of samplesPerClass decoded draws per class (z ~ N(μ^Y, I) for " +
    "cvae-prior; z ~ N(0, I) with label y for cvae-concat) that the classify stage's net " +
    "labels as y, averaged over classes",
  classifierTestAccuracy: "that net's accuracy on the real test images: how far its labels " +
    "can be trusted. Not a ceiling: clean, prototypical samples can score above it",
};

const AE = "an ae has no posterior variance (q(z|x) is a point mass at μ)";

/** Why a metric is null for an ae: stated, not invented. */
export const NOT_APPLICABLE = {
  test: {
    negElbo: `${AE}, so its KL to any prior, and with it the ELBO, is undefined`,
    rate: `${AE}, so its KL to any prior is undefined`,
    bceSampledZ: `${AE}: there is no z to sample; see bceMeanZ`,
    mseSampledZ: `${AE}: there is no z to sample; see mseMeanZ`,
    mutualInformation: `${AE}: I_q(x; z) of a deterministic encoder is not a finite number`,
    logN: `${AE}: no mutual information is estimated`,
    iw: `${AE} and no prior, so there is no importance-weighted bound on log p(x)`,
  },
  train: {
    negElbo: `${AE}, so its ELBO is undefined`,
    rate: `${AE}, so its KL to any prior is undefined`,
  },
};
