// Training-step models on a backend, one per batch size (the graphs have concrete shapes; an
// epoch's last batch may be smaller), built on first use.
import { AaclipError } from '@aaclip/core';
import type { Backend, BackendSession, SessionOptions, Tensor, TrainingStepModel } from '@aaclip/core';

export interface StepOutcome {
  readonly loss: number;
  /** The loss's parts (loss_ce, loss_focal_3, …). */
  readonly parts: Readonly<Record<string, number>>;
  /** Gradient per trainable weight. */
  readonly gradients: Map<string, Float32Array>;
}

export class StepSessions {
  private readonly sessions = new Map<number, Promise<{ model: TrainingStepModel; session: BackendSession }>>();

  constructor(
    private readonly backend: Backend,
    private readonly options: SessionOptions,
    private readonly build: (batchSize: number) => TrainingStepModel,
  ) {}

  private session(batchSize: number): Promise<{ model: TrainingStepModel; session: BackendSession }> {
    let entry = this.sessions.get(batchSize);
    if (!entry) {
      entry = (async () => {
        const model = this.build(batchSize);
        const session = await this.backend.createSession(model.onnx, this.options);
        return { model, session };
      })();
      this.sessions.set(batchSize, entry);
    }
    return entry;
  }

  /** Runs one step: the data feeds plus the current trainable weights. */
  async run(batchSize: number, data: Record<string, Tensor>, weights: ReadonlyMap<string, Tensor>): Promise<StepOutcome> {
    const { model, session } = await this.session(batchSize);
    const feeds: Record<string, Tensor> = { ...data };
    for (const key of model.trainable) {
      const w = weights.get(key);
      if (!w) throw new AaclipError(`no current value for trainable weight "${key}"`, 'training step');
      feeds[key] = w;
    }
    const out = await session.run(feeds);
    const scalar = (name: string): number => {
      const t = out[name];
      if (!t || !(t.data instanceof Float32Array)) throw new AaclipError(`the step returned no "${name}"`, 'training step');
      return t.data[0]!;
    };
    const gradients = new Map<string, Float32Array>();
    for (const [key, name] of model.gradientOutputs) {
      const t = out[name];
      if (!t || !(t.data instanceof Float32Array)) throw new AaclipError(`the step returned no gradient "${name}"`, 'training step');
      gradients.set(key, t.data);
    }
    return {
      loss: scalar(model.lossOutput),
      parts: Object.fromEntries(model.partOutputs.map((name) => [name, scalar(name)])),
      gradients,
    };
  }

  async dispose(): Promise<void> {
    for (const entry of this.sessions.values()) await (await entry).session.dispose();
    this.sessions.clear();
  }
}
