// The contract module: subjects, headers, schemas, wire encoding and error codes, defined once.
export * from './contract.js';
export * from './contracts/index.js';
export * from './errors.js';
export * from './events.js';
export * from './headers.js';
export * from './subjects.js';
export * from './wire.js';
export * from './ws.js';
