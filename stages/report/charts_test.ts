import { assert_, assertEquals, assertIncludes } from "../../pipeline/test_assert.ts";
import type { ChartFigure, Skipped } from "../render/chart.ts";
import { iwFigure, klFigure, latentFigure, trainingCurvesFigure } from "./charts.ts";
import type { ReportInputs } from "./inputs.ts";
import { CLASS_MEAN, EXAMPLE } from "./specs.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Just what the chart under test reads; the rest of ReportInputs is never touched. */
const inputs = (part: Partial<ReportInputs>) =>
  ({
    training: { model: { kind: "vae" } },
    metrics: { likelihood: "bernoulli", units: "nats per example", test: {}, train: {} },
    ...part,
  }) as unknown as ReportInputs;

function drawn(figure: ChartFigure | Skipped): ChartFigure {
  assert_(!("skipped" in figure), `skipped: ${(figure as Skipped).skipped}`);
  return figure as ChartFigure;
}

/** A β = 1 history: loss = recon + KL, reg = KL; epoch 1 far above the rest. */
const history = (beta: number, validation = false) =>
  range(6).map((e) => {
    const [recon, kl] = [e === 0 ? 250 : 170 - e, e === 0 ? 19 : 5 + e / 10];
    return {
      epoch: e + 1,
      loss: recon + beta * kl,
      recon,
      kl,
      mu_term: 0.6 * kl,
      sigma_term: 0.4 * kl,
      reg: kl,
      ...(validation ? { val_neg_elbo: recon + kl + 2, val_recon: recon + 1, val_kl: kl + 1 } : {}),
    };
  });

/** The spec's panels as [title, series, y domain]. */
const panels = (figure: ChartFigure) =>
  (figure.spec as unknown as {
    concat: {
      title: string;
      transform: { filter: { oneOf: string[] } }[];
      encoding: { y: { scale: { domain?: number[] } } };
    }[];
  }).concat.map((p) => [p.title, p.transform[0].filter.oneOf, p.encoding.y.scale.domain]);

Deno.test("training curves with β = 1: loss drawn as −ELBO, regularizer as KL, no twin panels", () => {
  const figure = drawn(trainingCurvesFigure(inputs({ history: history(1) })));
  const metrics = [...new Set(figure.rows.map((r) => r.metric))];
  assertEquals(metrics, [
    "−ELBO = loss (objective)",
    "reconstruction",
    "KL = regularizer",
    "μ term",
    "σ term",
  ]);
  assertEquals(panels(figure).map(([title, series]) => [title, series]), [
    ["−ELBO = loss (objective)", ["−ELBO = loss (objective)"]],
    ["reconstruction", ["reconstruction"]],
    ["KL and its μ, σ terms", ["KL = regularizer", "μ term", "σ term"]],
  ]);
  assertIncludes(figure.description, "No validation curve");
  assertIncludes(figure.description, "drawn once: −ELBO = loss (objective); KL = regularizer.");
});

Deno.test("training curves with β = 4: the objective gets its own panel; validation dashed", () => {
  const figure = drawn(trainingCurvesFigure(inputs({ history: history(4, true) })));
  const titles = panels(figure).map(([title]) => title);
  assertEquals(titles, ["−ELBO", "loss (objective)", "reconstruction", "KL and its μ, σ terms"]);
  const splits = new Set(figure.rows.filter((r) => r.metric === "−ELBO").map((r) => r.split));
  assertEquals([...splits], ["train", "validation"]);
  assertIncludes(figure.description, "validation split (dashed)");
});

Deno.test("training curves: epoch 1 does not set the y range; every series stays inside it", () => {
  const figure = drawn(trainingCurvesFigure(inputs({ history: history(1) })));
  for (const [title, series, domain] of panels(figure)) {
    const rows = figure.rows.filter((r) => (series as string[]).includes(r.metric as string));
    const later = rows.filter((r) => (r.epoch as number) >= 2).map((r) => r.value as number);
    assert_(domain !== undefined, `${title}: no domain although epoch 1 is far off`);
    const [low, high] = domain as number[];
    assert_(later.every((v) => v >= low && v <= high), `${title}: later epochs clipped`);
    const first = rows.filter((r) => r.epoch === 1).map((r) => r.value as number);
    assert_(first.some((v) => v < low || v > high), `${title}: epoch 1 inside`);
  }
  assertIncludes(figure.description, "Epoch 1 lies beyond the y range");
});

const IW = [1, 10, 100, 1000].map((k, i) => ({
  k,
  log_likelihood: -171 + 0.3 * i,
  std_error: 2.2,
}));

Deno.test("IW figure: the rise above the same examples' ELBO, labelled as metrics.json says", () => {
  const test = { iwExamples: 500, iwExamplesElbo: -171.05 };
  const vae = drawn(iwFigure(inputs({ iw: IW, metrics: { test } as never })));
  assertEquals(vae.rows.map((r) => Number((r.rise as number).toFixed(6))), [
    0.05,
    0.35,
    0.65,
    0.95,
  ]);
  assertEquals(vae.rows.map((r) => r.riseText), ["+0.05", "+0.35", "+0.65", "+0.95"]);
  assertIncludes(vae.description, "log p̂_K(x) = −170.10 ± 2.20, ELBO −171.05, rise +0.95");
  assertIncludes(vae.description, "the same 500 test examples");
  assert_(!vae.description.includes("x | y"), "a VAE's bound is log p(x)");
  assertIncludes(vae.description, "paired interval of the rise is not drawn");

  // A CVAE's evaluation (its cvae section) bounds log p(x | y); a paired s.e. draws bars.
  const cvae = drawn(iwFigure(inputs({
    iw: IW.map((row) => ({ ...row, rise_std_error: 0.02 })),
    metrics: { test, model: { kind: "cvae-prior" }, cvae: { logPxGivenY: -170 } } as never,
  })));
  assertIncludes(cvae.description, "log p̂_K(x | y)");
  assertIncludes(JSON.stringify(cvae.spec), "log p̂_K(x | y) − ELBO(x | y)");
  assertEquals(cvae.rows[0].riseLower, (cvae.rows[0].rise as number) - 0.02);
  assertIncludes(cvae.description, "paired per example");
});

Deno.test("KL figure: dimensions named z0, z1, … and marked active or inactive", () => {
  const klPerDim = range(3).map((dim) => ({ dim, kl: dim, active: dim > 0 ? "true" : "false" }));
  const figure = drawn(klFigure(inputs({ klPerDim })));
  assertEquals(figure.rows.map((r) => [r.latent, r.status]), [
    ["z0", "inactive"],
    ["z1", "active"],
    ["z2", "active"],
  ]);
});

Deno.test("latent figure: a CVAE's class means are drawn over the test examples", () => {
  const latents = range(20).map((i) => ({ z0: i, z1: -i, label: i % 4 }));
  const klPerDim = [{ dim: 0, activity: 1 }, { dim: 1, activity: 0.5 }];
  const classMeans = range(4).map((label) => ({ label, z0: label / 2, z1: 1 }));
  const figure = drawn(latentFigure(inputs({ latents, klPerDim, classMeans })));
  assertEquals(figure.rows.filter((r) => r.point === EXAMPLE).length, 20);
  assertEquals(figure.rows.filter((r) => r.point === CLASS_MEAN).map((r) => r.z0), [
    0,
    0.5,
    1,
    1.5,
  ]);
  assertIncludes(figure.description, "class means μ^y");
  const plain = drawn(latentFigure(inputs({ latents, klPerDim, classMeans: null })));
  assert_(plain.rows.every((r) => r.point === EXAMPLE), "a VAE has no class means");
});
