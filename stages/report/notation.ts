/**
 * How the report writes a run's quantities, from what its metrics.json says about the
 * model (evaluate records its kind), never from the config's name. A CVAE is scored with
 * its true label y, so its ELBO and importance-weighted bound bound log p(x | y), not
 * log p(x); where y enters (the prior, or the encoder and decoder) decides the rest.
 */
export interface Notation {
  /** What the ELBO and the IW bound bound: `log p(x)` or `log p(x | y)`. */
  evidence: string;
  posterior: string;
  likelihood: string;
  prior: string;
  /** The prior's law, for notes. */
  priorLaw: string;
  /** μ's squared distance from the prior mean, as kl_per_dim.csv's mean_mu_sq measures it. */
  muSquared: string;
}

/** Where each conditional model kind takes the label (stages/model/networks.ts). */
const LABEL_ENTERS: Record<string, "prior" | "networks"> = {
  "cvae-prior": "prior", // p(z|y) = N(μ^y, I); encoder and decoder never see y
  "cvae-concat": "networks", // y appended to the encoder's and the decoder's inputs
};

/** From what it reads of a metrics.json: the model's kind, and whether it has a cvae block. */
export function notation(metrics: { model?: { kind: string }; cvae?: object }): Notation {
  const enters = LABEL_ENTERS[metrics.model?.kind ?? ""];
  // A conditional model's evaluation writes a cvae section: its numbers use the true label.
  const conditional = enters !== undefined || metrics.cvae !== undefined;
  return {
    evidence: conditional ? "log p(x | y)" : "log p(x)",
    posterior: enters === "networks" ? "q(z|x,y)" : "q(z|x)",
    likelihood: enters === "networks" ? "p(x|z,y)" : "p(x|z)",
    prior: enters === "prior" ? "p(z|y)" : "p(z)",
    priorLaw: enters === "prior" ? "p(z|y) = N(μ^y, I), y the true label" : "p(z) = N(0, I)",
    muSquared: enters === "prior" ? "(μ − μ^y)²" : "μ²",
  };
}
