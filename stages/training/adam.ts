/**
 * Adam (Kingma & Ba 2015) with state that checkpoints exactly. tfjs's own Adam rebuilds
 * β^t with `pow` after setWeights, while training multiplies it up step by step; the last
 * bits differ, so a resumed run would drift from an uninterrupted one. Here the step count
 * is the whole bias-correction state: 1 − β^t is computed from it in float64 every step.
 * The update is the usual one: θ ← θ − lr · m̂ / (√v̂ + ε), m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t).
 */
import * as tf from "@tensorflow/tfjs-core";
import { ADAM_UPDATE, adamUpdate } from "../model/fused_adam.ts";
import { hasKernel } from "../model/fused_support.ts";

export interface AdamConfig {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** Adam whose whole bias-correction state is its step count, so it checkpoints exactly. */
export class Adam extends tf.Optimizer {
  static get className(): string {
    return "PipelineAdam";
  }

  step = 0;
  /** Moments per parameter, by the parameter's stable name (not tfjs's generated one). */
  readonly moments = new Map<string, { m: tf.Variable; v: tf.Variable }>();
  private readonly stableName = new Map<string, string>();

  constructor(
    params: { name: string; tensor: tf.Variable }[],
    private readonly config: AdamConfig,
  ) {
    super();
    for (const { name, tensor } of params) {
      this.stableName.set(tensor.name, name);
      this.moments.set(name, { m: zerosVariable(tensor), v: zerosVariable(tensor) });
    }
  }

  override applyGradients(
    gradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[],
  ): void {
    const list = Array.isArray(gradients)
      ? gradients
      : Object.entries(gradients).map(([name, tensor]) => ({ name, tensor }));
    this.step++;
    const { learningRate, beta1, beta2, epsilon } = this.config;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    const fused = hasKernel(ADAM_UPDATE);
    tf.tidy(() => {
      for (const { name, tensor: gradient } of list) {
        const param = tf.engine().registeredVariables[name];
        const state = this.moments.get(this.stableName.get(name) ?? "");
        if (!state) throw new Error(`Adam: variable ${name} was not given to the optimizer`);
        if (fused) {
          const attrs = { learningRate, beta1, beta2, epsilon, correction1, correction2 };
          const [p, m, v] = adamUpdate(param, state.m, state.v, gradient, attrs);
          [param.assign(p), state.m.assign(m), state.v.assign(v)];
          continue;
        }
        const m = tf.add(tf.mul(state.m, beta1), tf.mul(gradient, 1 - beta1));
        const v = tf.add(tf.mul(state.v, beta2), tf.mul(tf.square(gradient), 1 - beta2));
        state.m.assign(m);
        state.v.assign(v);
        const mHat = tf.div(m, correction1);
        const vHat = tf.div(v, correction2);
        const update = tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon));
        param.assign(tf.sub(param, tf.mul(update, learningRate)));
      }
    });
  }

  /** The moments under stable names (`<param>/m`, `<param>/v`); the step is `this.step`. */
  namedState(): { name: string; tensor: tf.Variable }[] {
    return [...this.moments].flatMap(([name, { m, v }]) => [
      { name: `${name}/m`, tensor: m },
      { name: `${name}/v`, tensor: v },
    ]);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...this.config };
  }

  override dispose(): void {
    for (const { m, v } of this.moments.values()) tf.dispose([m, v]);
    this.moments.clear();
  }
}

/** A non-trainable variable of zeros shaped like `like` (the zeros themselves are freed). */
function zerosVariable(like: tf.Tensor): tf.Variable {
  const zeros = tf.zerosLike(like);
  const variable = tf.variable(zeros, false);
  zeros.dispose();
  return variable;
}
