import { AaclipError, type Detection, type RawImage } from '@aaclip/core';

/** What the worker needs of a detector (an AnomalyDetector has it). */
export interface ImageDetector {
  /** The detector's settings, checked against what a job expects (an AnomalyDetector has them). */
  readonly settings?: { readonly imageSize: number; readonly domain: string };
  detect(images: readonly RawImage[], promptName: string): Promise<Detection[]>;
}

interface Pending {
  readonly image: RawImage;
  readonly className: string;
  readonly resolve: (d: Detection) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Runs one detector call at a time, putting the images that wait (up to `batchSize`, same class)
 * into one call. With several jobs in flight a worker decodes the next images while the model
 * runs, and scores them together.
 */
export class DetectBatcher {
  private readonly pending: Pending[] = [];
  private running = false;

  constructor(
    private readonly detector: ImageDetector,
    private readonly batchSize: number,
  ) {}

  detect(image: RawImage, className: string): Promise<Detection> {
    return new Promise((resolve, reject) => {
      this.pending.push({ image, className, resolve, reject });
      void this.next();
    });
  }

  private async next(): Promise<void> {
    if (this.running || this.pending.length === 0) return;
    this.running = true;
    const className = this.pending[0]!.className;
    const batch: Pending[] = [];
    for (let i = 0; i < this.pending.length && batch.length < this.batchSize; ) {
      if (this.pending[i]!.className === className) batch.push(...this.pending.splice(i, 1));
      else i++;
    }
    try {
      await this.run(batch, className);
    } finally {
      this.running = false;
      void this.next();
    }
  }

  private async run(batch: Pending[], className: string): Promise<void> {
    try {
      const detections = await this.detector.detect(batch.map((p) => p.image), className);
      batch.forEach((p, i) => p.resolve(detections[i]!));
    } catch (err) {
      // A batch that fails as a whole is scored one by one, so the failure lands on its image.
      if (batch.length > 1 && err instanceof AaclipError) {
        for (const p of batch) await this.run([p], className);
      } else {
        for (const p of batch) p.reject(err);
      }
    }
  }
}
