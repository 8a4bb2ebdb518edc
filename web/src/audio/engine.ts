// The page's audio graph: microphone → capture worklet (16 kHz frames out), and agent PCM → playback
// worklet → analyser → speakers. The analyser measures what is actually played (level and audible time).

export interface AudioStats {
  /** Agent audio played by the worklet (ms). */
  playedMs: number;
  /** Agent audio waiting in the worklet (ms). */
  queuedMs: number;
  /** Time the analyser measured audible agent output (ms, RMS above −50 dBFS). */
  audibleMs: number;
  /** Loudest RMS the analyser saw (0…1). */
  peakRms: number;
  /** Microphone peak level of the last ~100 ms (0…1). */
  micLevel: number;
}

export class MicPermissionError extends Error {}

export class AudioEngine {
  readonly stats: AudioStats = { playedMs: 0, queuedMs: 0, audibleMs: 0, peakRms: 0, micLevel: 0 };
  private ctx: AudioContext | undefined;
  private stream: MediaStream | undefined;
  private capture: AudioWorkletNode | undefined;
  private playback: AudioWorkletNode | undefined;
  private analyser: AnalyserNode | undefined;
  private meter: number | undefined;
  private lastMeter = 0;
  onFrame: (pcm: Int16Array) => void = () => {};

  /** Opens the microphone and builds the graph. Must run from a user gesture (autoplay policy). */
  async start(options: { capture: boolean; playbackRate: number }): Promise<void> {
    const ctx = new AudioContext({ latencyHint: 'interactive' });
    this.ctx = ctx;
    await Promise.all([
      ctx.audioWorklet.addModule('/capture.worklet.js'),
      ctx.audioWorklet.addModule('/playback.worklet.js'),
    ]);
    await ctx.resume();
    this.playback = new AudioWorkletNode(ctx, 'arc-playback', {
      numberOfInputs: 0,
      outputChannelCount: [1],
      processorOptions: { inputRate: options.playbackRate },
    });
    this.playback.port.onmessage = (e) => {
      const m = e.data as { playedMs: number; queuedMs: number };
      this.stats.playedMs = m.playedMs;
      this.stats.queuedMs = m.queuedMs;
    };
    this.analyser = new AnalyserNode(ctx, { fftSize: 1024 });
    this.playback.connect(this.analyser).connect(ctx.destination);
    this.startMeter();
    if (options.capture) await this.openMic(ctx);
  }

  /** Agent PCM (s16le mono) at `rate` into the playback queue. */
  play(pcm: Int16Array, rate: number): void {
    this.playback?.port.postMessage({ type: 'pcm', pcm, rate }, [pcm.buffer]);
  }

  /** Barge-in: drop queued agent audio. */
  clear(): void {
    this.playback?.port.postMessage({ type: 'clear' });
  }

  /** A remote track (room mode) played through the same analyser. */
  playTrack(track: MediaStreamTrack): void {
    if (!this.ctx || !this.analyser) return;
    this.ctx.createMediaStreamSource(new MediaStream([track])).connect(this.analyser);
  }

  get micStream(): MediaStream | undefined {
    return this.stream;
  }

  async stop(): Promise<void> {
    if (this.meter !== undefined) clearInterval(this.meter);
    this.meter = undefined;
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.capture?.disconnect();
    this.playback?.disconnect();
    await this.ctx?.close().catch(() => {});
    this.ctx = undefined;
  }

  private async openMic(ctx: AudioContext): Promise<void> {
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
    } catch (err) {
      const name = (err as DOMException).name;
      if (name === 'NotAllowedError' || name === 'SecurityError') {
        throw new MicPermissionError(
          'Microphone access was denied. Allow the microphone for this site (the icon at the left of the address bar), then press Talk again.',
        );
      }
      if (name === 'NotFoundError') throw new MicPermissionError('No microphone was found. Connect one and try again.');
      throw new MicPermissionError(`The microphone could not be opened: ${(err as Error).message}`);
    }
    const source = ctx.createMediaStreamSource(this.stream);
    this.capture = new AudioWorkletNode(ctx, 'arc-capture', { numberOfOutputs: 0 });
    this.capture.port.onmessage = (e) => {
      const m = e.data as { type: 'pcm'; pcm: Int16Array } | { type: 'level'; peak: number };
      if (m.type === 'pcm') this.onFrame(m.pcm);
      else this.stats.micLevel = m.peak;
    };
    source.connect(this.capture);
  }

  /** Measures the played output every 50 ms (an analyser window of 1024 samples is ~21 ms at 48 kHz). */
  private startMeter(): void {
    const analyser = this.analyser as AnalyserNode;
    const buf = new Float32Array(analyser.fftSize);
    this.lastMeter = performance.now();
    const tick = () => {
      const now = performance.now();
      const dt = now - this.lastMeter;
      this.lastMeter = now;
      analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const v of buf) sum += v * v;
      const rms = Math.sqrt(sum / buf.length);
      this.stats.peakRms = Math.max(this.stats.peakRms, rms);
      if (rms > 0.00316) this.stats.audibleMs += Math.min(dt, 100); // −50 dBFS
    };
    this.meter = window.setInterval(tick, 50);
  }
}
