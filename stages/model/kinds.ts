/**
 * What each model kind can do, one record per kind. Every other module asks these
 * capabilities, never a kind's name: a new kind is a value in the config schema's enum, its
 * record here, and (only when its structure is new) a case in networks.ts buildModel.
 * The record's keys are the schema's enum, so the compiler asks for a record per kind.
 */
import type { ModelParams } from "../config_schema.ts";

/** The kinds the config schema accepts (`model.kind`). */
export type ModelKind = ModelParams["kind"];

export interface KindCapabilities {
  /**
   * The model takes the true label y (in its prior or its networks): its bounds bound
   * log p(x | y), it is scored per class, and a classifier judges its class samples.
   */
  readonly conditional: boolean;
  /** The one-hot label joins the encoder's and the decoder's inputs: q(z|x,y), p(x|z,y). */
  readonly labelInput: boolean;
  /** The prior is p(z|y) = N(μ^y, I) with a learned class-mean table μ^y. */
  readonly learnedPriorMean: boolean;
  /** q(z|x) has a variance (a log σ² head): z is sampled, and there is a KL and an ELBO. */
  readonly stochastic: boolean;
}

const CAPABILITIES: Record<ModelKind, KindCapabilities> = {
  "vae": { conditional: false, labelInput: false, learnedPriorMean: false, stochastic: true },
  "cvae-prior": { conditional: true, labelInput: false, learnedPriorMean: true, stochastic: true },
  "cvae-concat": { conditional: true, labelInput: true, learnedPriorMean: false, stochastic: true },
  "ae": { conditional: false, labelInput: false, learnedPriorMean: false, stochastic: false },
};

/** Every kind the config schema accepts. */
export const MODEL_KINDS = Object.keys(CAPABILITIES) as ModelKind[];

/** What `kind` (from a config, or from a metrics.json that names it) can do. */
export function capabilitiesOf(kind: string): KindCapabilities {
  if (!Object.hasOwn(CAPABILITIES, kind)) {
    throw new Error(`unknown model kind "${kind}" (known: ${MODEL_KINDS.join(", ")})`);
  }
  return CAPABILITIES[kind as ModelKind];
}
