/**
 * The numbers training logs each step, named once. The regularizer returns the true KL, the
 * parts of its penalty and reg (the penalty itself); the loss adds recon and loss. From here
 * come RegTerms (losses.ts), the zero terms of a model without a posterior variance
 * (networks.ts), the unpacking of the blas penalty kernel (fused_gaussian.ts), history.csv's
 * columns and the per-step finite check (train.ts), and the report's training curves
 * (report/charts.ts). A regularizer that logs a new part adds it to PENALTY_PARTS and computes
 * it in losses.ts `regularizer` (and in the blas kernel); the rest follows. No imports, so the
 * report reads the record without loading any model code.
 */

/** A part of the chosen penalty, logged unweighted (for each penalty: losses.ts RegTerms). */
export interface PenaltyPart {
  /** Its history.csv column. */
  column: string;
  /** Its line in the training curves, "<symbol> term", in the panel "KL and its … terms". */
  symbol: string;
}

/** The penalty's parts, in history.csv's order. */
export const PENALTY_PARTS = {
  muTerm: { column: "mu_term", symbol: "μ" },
  sigmaTerm: { column: "sigma_term", symbol: "σ" },
} as const satisfies Record<string, PenaltyPart>;

export type PenaltyPartName = keyof typeof PENALTY_PARTS;

export const PENALTY_PART_NAMES = Object.keys(PENALTY_PARTS) as PenaltyPartName[];

/**
 * What the regularizer returns, each with its history.csv column, in the file's order: kl, the
 * true closed-form KL whatever the penalty; the penalty's parts; reg, the penalty.
 */
export const REG_TERMS = [
  { name: "kl", column: "kl" },
  ...PENALTY_PART_NAMES.map((name) => ({ name, column: PENALTY_PARTS[name].column })),
  { name: "reg", column: "reg" },
] as const;

export type RegTermName = (typeof REG_TERMS)[number]["name"];

/**
 * Every number a training step logs, each with its history.csv column, in the file's order:
 * loss (recon plus the warm-up-weighted reg), recon, then the regularizer's terms.
 */
export const LOGGED_TERMS = [
  { name: "loss", column: "loss" },
  { name: "recon", column: "recon" },
  ...REG_TERMS,
] as const;
