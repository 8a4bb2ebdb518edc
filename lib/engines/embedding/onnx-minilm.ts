// ONNX sentence-transformer (all-MiniLM-L6-v2 layout) on onnxruntime-node: WordPiece → BERT → mean pooling.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Logger } from '../../log.js';
import { ArcError } from '../../protocol/index.js';
import { Embedder } from './embedder.js';
import { WordPieceTokenizer } from './wordpiece.js';

/** Where the model file sits in a sentence-transformers export: the folder itself or its `onnx/` subfolder. */
const MODEL_FILES = ['model.onnx', 'onnx/model.onnx', 'model_quantized.onnx', 'onnx/model_quantized.onnx'];

/** Model id and dimension of a folder, read from its config.json without loading the model. */
export function onnxModelSpec(dir: string): { model: string; dim: number } {
  let dim = 384;
  const configPath = join(dir, 'config.json');
  if (existsSync(configPath)) {
    const cfg = JSON.parse(readFileSync(configPath, 'utf8')) as { hidden_size?: number };
    if (typeof cfg.hidden_size === 'number') dim = cfg.hidden_size;
  }
  return { model: `onnx:${basename(dir.replace(/\/+$/, ''))}`, dim };
}

/**
 * A sentence-transformer exported to ONNX (e.g. all-MiniLM-L6-v2, 384-d), loaded from `EMBEDDING_MODEL`:
 * a folder with `model.onnx` (or `onnx/model.onnx`), `tokenizer.json` or `vocab.txt`, and `config.json`.
 */
export class OnnxSentenceEmbedder extends Embedder {
  readonly model: string;
  readonly dim: number;
  readonly label: string;

  private constructor(
    private readonly session: InferenceSession,
    private readonly ort: typeof import('onnxruntime-node'),
    private readonly tokenizer: WordPieceTokenizer,
    spec: { model: string; dim: number },
    file: string,
  ) {
    super();
    this.model = spec.model;
    this.dim = spec.dim;
    this.label = `ONNX sentence-transformer ${file} (onnxruntime-node, ${spec.dim}-d)`;
  }

  static async load(dir: string, log: Logger): Promise<OnnxSentenceEmbedder> {
    const t0 = performance.now();
    const file = MODEL_FILES.map((f) => join(dir, f)).find((f) => existsSync(f));
    if (!file) {
      throw new ArcError('not_found', `EMBEDDING_MODEL=${dir} holds none of ${MODEL_FILES.join(', ')}`);
    }
    const tokenizer = WordPieceTokenizer.fromDirectory(dir);
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(file, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
    const embedder = new OnnxSentenceEmbedder(session, ort, tokenizer, onnxModelSpec(dir), file);
    // One real pass: proves the model and the tokenizer agree, and that the output is dim wide.
    const [probe] = await embedder.run(['probe']);
    if (probe?.length !== embedder.dim) {
      throw new ArcError(
        'dimension_mismatch',
        `${file} produces ${probe?.length}-d vectors but config.json says hidden_size=${embedder.dim}`,
      );
    }
    log.info(
      { model: embedder.model, label: embedder.label, loadMs: Math.round(performance.now() - t0) },
      'embedder loaded',
    );
    return embedder;
  }

  protected async run(texts: readonly string[]): Promise<Float32Array[]> {
    const encodings = texts.map((t) => this.tokenizer.encode(t));
    const seq = Math.max(...encodings.map((e) => e.inputIds.length));
    const n = texts.length;
    const ids = new BigInt64Array(n * seq).fill(BigInt(this.tokenizer.pad));
    const mask = new BigInt64Array(n * seq);
    encodings.forEach((e, b) => {
      e.inputIds.forEach((id, i) => {
        ids[b * seq + i] = BigInt(id);
        mask[b * seq + i] = 1n;
      });
    });
    const feeds: Record<string, Tensor> = {
      input_ids: new this.ort.Tensor('int64', ids, [n, seq]),
      attention_mask: new this.ort.Tensor('int64', mask, [n, seq]),
    };
    if (this.session.inputNames.includes('token_type_ids')) {
      feeds.token_type_ids = new this.ort.Tensor('int64', new BigInt64Array(n * seq), [n, seq]);
    }
    const outputs = await this.session.run(feeds);
    const pooledName = this.session.outputNames.find((o) => o === 'sentence_embedding');
    const out = outputs[pooledName ?? (this.session.outputNames[0] as string)] as Tensor;
    const data = out.data as Float32Array;
    if (out.dims.length === 2) {
      return encodings.map((_, b) => data.slice(b * this.dim, (b + 1) * this.dim));
    }
    // [batch, seq, hidden]: mean over the real (unpadded) tokens, as sentence-transformers pools.
    const hidden = out.dims[2] as number;
    return encodings.map((e, b) => {
      const v = new Float32Array(hidden);
      const len = e.inputIds.length;
      for (let i = 0; i < len; i++) {
        const base = (b * seq + i) * hidden;
        for (let h = 0; h < hidden; h++) v[h] = (v[h] as number) + (data[base + h] as number);
      }
      for (let h = 0; h < hidden; h++) v[h] = (v[h] as number) / len;
      return v;
    });
  }

  override async close(): Promise<void> {
    await this.session.release();
  }
}
