// Audio utilities shared by the speech engines, the tts function and the agent host.
export * from './frames.js';
export * from './level.js';
export * from './pcm.js';
export * from './process.js';
export * from './resample.js';
export * from './wav.js';
