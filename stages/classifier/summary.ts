/**
 * The classify stage's contract: classifier.json, as its type and its reader. Apart from
 * classify.ts so that its readers (evaluate, the report) load no tfjs and no training code
 * with it.
 */
import { join } from "node:path";

/** classifier.json: the judge's accuracy on the real test images, and how it was trained. */
export interface ClassifierSummary {
  /** Fraction of the test split labelled correctly. */
  testAccuracy: number;
  /** By dataset label (as a string key): the fraction of that class's test images. */
  perClassAccuracy: Record<string, number>;
  classes: number[];
  epochs: number;
  hidden: number[];
  activation: "relu";
  batchSize: number;
  learningRate: number;
  trainExamples: number;
  testExamples: number;
  /** Mean softmax cross-entropy over each epoch's steps, nats per example. */
  trainLoss: number[];
}

/** A classify artifact's classifier.json. */
export async function readClassifierSummary(dir: string): Promise<ClassifierSummary> {
  return JSON.parse(await Deno.readTextFile(join(dir, "classifier.json")));
}
