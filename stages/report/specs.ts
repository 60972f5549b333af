/**
 * Vega-Lite specs for the report, without data: renderFigure injects the rows and the
 * provenance. Each builder is pure and documents the row shape it expects. Likelihoods,
 * ELBO terms and KL are in nats per example, and the axis titles say so.
 */
import { CATEGORICAL, type ChartSpec } from "../render/figure.ts";

const NATS = "nats per example";
// Vega lays out without a font (it guesses 0.8 em per character, wider than DejaVu), so
// y-axis titles are kept under ~27 characters to fit the 240 px height without slack.
const SIZE = { width: 360, height: 240 };

/** One panel of the training curves: the terms it draws and, if given, its y range. */
export interface CurvePanel {
  title: string;
  metrics: string[];
  /** y range; points beyond it (epoch 1) are clipped at the panel's edge. */
  domain?: [number, number];
}

/**
 * Rows `{epoch, metric, value, split}` (long format): one panel per entry of `panels`, each
 * with its own y scale (ELBO and KL differ by orders of magnitude), three a row, and no
 * empty frames. Colour is the term, one legend for every panel; the line's dash is the split
 * when there is more than one.
 */
export function trainingCurves(panels: CurvePanel[], splits: string[] = ["train"]): ChartSpec {
  const metrics = panels.flatMap((p) => p.metrics);
  const color = {
    field: "metric",
    type: "nominal",
    title: "term",
    scale: { domain: metrics, range: CATEGORICAL },
  } as const;
  const dash = splits.length > 1
    ? {
      strokeDash: {
        field: "split",
        type: "nominal",
        title: "split",
        scale: { domain: splits, range: [[], [5, 3]] },
      },
    } as const
    : {};
  return {
    title: "Training curves",
    // Legend labels such as "−ELBO = loss (objective)" are longer than vega's 160 px limit.
    config: { legend: { labelLimit: 320 } },
    columns: 3,
    concat: panels.map((panel) => ({
      title: panel.title,
      width: 250,
      height: 160,
      transform: [{ filter: { field: "metric", oneOf: panel.metrics } }],
      encoding: {
        x: { field: "epoch", type: "quantitative", title: "epoch", axis: { tickMinStep: 1 } },
        y: {
          field: "value",
          type: "quantitative",
          title: NATS,
          scale: panel.domain ? { domain: panel.domain, zero: false } : { zero: false },
        },
        color,
        detail: { field: "split", type: "nominal" },
      },
      layer: [
        { mark: { type: "line", clip: true }, encoding: dash },
        {
          // A point beyond a set y range is left out, not clipped: resvg 2.6 aborts the
          // process on a clipped symbol far outside the canvas (a first epoch at 800 px).
          ...(panel.domain
            ? { transform: [{ filter: { field: "value", range: panel.domain } }] }
            : {}),
          mark: { type: "point", filled: true, size: 14, clip: true },
        },
      ],
    })),
  } as ChartSpec;
}

/**
 * Rows `{latent, kl, status}`, `latent` named as the tables name it (`z0`, `z1`, …) in
 * `dims` order, `status` "active" or "inactive": the KL each latent dimension carries.
 * `posterior` and `prior` as notation.ts writes them (`p(z|y)` for a CVAE's prior).
 */
export function klPerDimension(
  dims: string[],
  posterior = "q(z|x)",
  prior = "p(z)",
): ChartSpec {
  const perDim = (law: string) => law.replace("z", "z_d");
  return {
    title: `KL(${perDim(posterior)} ‖ ${perDim(prior)}) per latent dimension`,
    // Wide enough that a 20-dimensional space keeps its labels level and apart.
    width: Math.max(SIZE.width, 26 * dims.length),
    height: SIZE.height,
    mark: { type: "bar", width: { band: 0.7 } },
    encoding: {
      x: {
        field: "latent",
        type: "nominal",
        sort: dims,
        title: "latent dimension",
        axis: { labelAngle: 0 },
      },
      y: { field: "kl", type: "quantitative", title: `KL (${NATS})` },
      color: {
        field: "status",
        type: "nominal",
        title: "dimension",
        scale: { domain: ["active", "inactive"], range: ["#0072B2", "#BBBBBB"] },
      },
    },
  };
}

/**
 * Rows `{epoch, dim, latent, meanLogVar}` (`latent` is `z<dim>`), the encoder's log σ² averaged
 * over examples: collapsed dimensions sit at log σ² ≈ 0 (the prior's σ = 1). Log-variance has
 * no unit.
 */
export function logVarOverEpochs(): ChartSpec {
  return {
    title: "Posterior log-variance per latent dimension",
    ...SIZE,
    mark: "line",
    encoding: {
      x: { field: "epoch", type: "quantitative", title: "epoch", axis: { tickMinStep: 1 } },
      y: {
        field: "meanLogVar",
        type: "quantitative",
        title: "mean log σ² (unitless)",
      },
      // Ordinal with a sequential scheme: works for any number of dimensions. Named z0, z1, …
      // as the tables name them, in numeric order (z2 before z10).
      color: {
        field: "latent",
        type: "ordinal",
        title: "dimension",
        sort: { field: "dim", op: "min" },
        scale: { scheme: "viridis" },
      },
    },
  };
}

/** What a latent scatter's row is: a test example's posterior mean, or a class's prior mean. */
export const EXAMPLE = "test example (posterior mean)";
export const CLASS_MEAN = "class mean μ^y of the prior";

/**
 * Rows `{z<x>, z<y>, label, point}`: two latent means of test examples (`point` EXAMPLE),
 * coloured by class; with `classMeans`, rows with `point` CLASS_MEAN are drawn over them as
 * labelled diamonds. The subtitle names the dimensions shown, since with more than two the
 * choice is the report's.
 */
export function latentScatter(x = 0, y = 1, latentDim = 2, classMeans = false): ChartSpec {
  const points = [EXAMPLE, ...(classMeans ? [CLASS_MEAN] : [])];
  const only = (point: string) => [{ filter: { field: "point", equal: point } }];
  const shape = {
    field: "point",
    type: "nominal",
    title: null,
    scale: { domain: points, range: ["circle", "diamond"] },
  } as const;
  const label = (stroke: object) => ({
    transform: only(CLASS_MEAN),
    mark: { type: "text", dx: 9, dy: -9, fontSize: 12, fontWeight: "bold", ...stroke },
    encoding: { text: { field: "label", type: "nominal" } },
  });
  return {
    title: {
      text: "Latent space (posterior means, test set)",
      subtitle: `dimensions z${x} and z${y} of ${latentDim}`,
    },
    width: 360,
    height: 360,
    config: { legend: { labelLimit: 320 } },
    encoding: {
      x: { field: `z${x}`, type: "quantitative", title: `z${x}` },
      y: { field: `z${y}`, type: "quantitative", title: `z${y}` },
    },
    layer: [
      {
        transform: only(EXAMPLE),
        mark: { type: "point", filled: true, size: 9, opacity: 0.55, strokeWidth: 0 },
        encoding: {
          color: {
            field: "label",
            type: "nominal",
            title: "class",
            scale: { range: CATEGORICAL },
          },
          // A shape legend only when there is a second kind of point to tell apart.
          ...(classMeans ? { shape } : {}),
        },
      },
      ...(classMeans
        ? [
          {
            transform: only(CLASS_MEAN),
            mark: { type: "point", filled: true, size: 150, stroke: "black", strokeWidth: 1.2 },
            encoding: {
              color: { field: "label", type: "nominal", title: "class" },
              shape,
              opacity: { value: 1 },
            },
          },
          // A white outline under each label keeps it legible over the points.
          label({ stroke: "white", strokeWidth: 3, fill: "white" }),
          label({ fill: "black" }),
        ]
        : []),
    ],
  } as ChartSpec;
}

/**
 * Rows `{k, rise, riseText}` and, when the interval is known, `{riseLower, riseUpper}`: how
 * far the importance-weighted bound log p̂_K rises above the ELBO of the same examples, with
 * K on a log-10 axis ticked at exactly the K evaluated. The rise is read against zero (the
 * ELBO); the levels themselves (≈ −170 ± 2 between examples) would hide a 1-nat rise.
 * `given` is what the bound conditions on: `x` for log p(x), `x | y` for a CVAE's log p(x | y).
 */
export function iwRise(ks: number[], given = "x", interval = false): ChartSpec {
  const y = {
    type: "quantitative",
    title: [`log p̂_K(${given}) − ELBO(${given})`, `(${NATS})`],
  } as const;
  return {
    title: "Importance-weighted bound: rise above the ELBO",
    ...SIZE,
    encoding: {
      x: {
        field: "k",
        type: "quantitative",
        title: "importance samples K (log scale)",
        // Padded by a factor of 2 each side, so the K = 1 and largest-K marks are not clipped.
        scale: {
          type: "log",
          base: 10,
          domain: [Math.min(...ks) / 2, Math.max(...ks) * 2],
          nice: false,
        },
        axis: { values: ks, format: ",d", grid: false },
      },
    },
    layer: [
      { mark: { type: "rule", strokeDash: [4, 3], color: "#888" }, encoding: { y: { datum: 0 } } },
      ...(interval
        ? [{
          mark: "rule",
          encoding: { y: { field: "riseLower", ...y }, y2: { field: "riseUpper" } },
        }]
        : []),
      {
        mark: {
          type: "line",
          point: { filled: true, size: 40, color: "#0072B2" },
          color: "#0072B2",
        },
        encoding: { y: { field: "rise", ...y } },
      },
      {
        // Below and to the right of the point: clear of its error bar and of the line, which
        // only rises to the right (the bound tightens with K).
        mark: { type: "text", align: "left", baseline: "top", dx: 5, dy: 4, fontSize: 11 },
        encoding: { y: { field: "rise", ...y }, text: { field: "riseText", type: "nominal" } },
      },
    ],
  } as ChartSpec;
}
