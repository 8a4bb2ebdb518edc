// Writes a tiny ONNX model with Piper's exact signature (protobuf encoded by hand, no dependency):
// inputs `input` int64 [1,N], `input_lengths` int64 [1], `scales` float32 [3], optionally `sid` int64 [1];
// output `output` float32 [1,1,1,N] = input × scales[1] (+ sid). Lets tests check what the engine feeds.

type Field = Uint8Array;

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

const key = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, n: number | bigint): Field => Uint8Array.from([...key(field, 0), ...varint(n)]);
function bytes(field: number, data: Uint8Array): Field {
  return Uint8Array.from([...key(field, 2), ...varint(data.length), ...data]);
}
const str = (field: number, s: string) => bytes(field, new TextEncoder().encode(s));
function msg(...fields: Field[]): Uint8Array {
  const out = new Uint8Array(fields.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of fields) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

const FLOAT = 1;
const INT64 = 7;

function valueInfo(name: string, elemType: number, dims: (number | string)[]): Field {
  const shape = msg(...dims.map((d) => bytes(1, typeof d === 'number' ? int(1, d) : str(2, d))));
  const tensorType = msg(int(1, elemType), bytes(2, shape));
  return msg(str(1, name), bytes(2, msg(bytes(1, tensorType))));
}

function node(op: string, inputs: string[], outputs: string[], attrs: Field[] = []): Field {
  return msg(
    ...inputs.map((i) => str(1, i)),
    ...outputs.map((o) => str(2, o)),
    str(3, `${op}_${outputs[0]}`),
    str(4, op),
    ...attrs.map((a) => bytes(5, a)),
  );
}

const intAttr = (name: string, value: number) => msg(str(1, name), int(20, 2), int(3, value));

function int64Tensor(name: string, values: number[]): Field {
  const raw = new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer);
  return msg(int(1, values.length), int(2, INT64), str(8, name), bytes(9, raw));
}

/** Model bytes; `withSid` adds the multi-speaker input. */
export function tinyPiperModel(withSid: boolean): Uint8Array {
  const nodes = [
    node('Cast', ['input'], ['x'], [intAttr('to', FLOAT)]),
    node('Gather', ['scales', 'one'], ['ls']),
    node('Mul', ['x', 'ls'], ['y']),
    ...(withSid ? [node('Cast', ['sid'], ['s'], [intAttr('to', FLOAT)]), node('Add', ['y', 's'], ['z'])] : []),
    node('Reshape', [withSid ? 'z' : 'y', 'shape'], ['output']),
  ];
  const inputs = [
    valueInfo('input', INT64, [1, 'N']),
    valueInfo('input_lengths', INT64, [1]),
    valueInfo('scales', FLOAT, [3]),
    ...(withSid ? [valueInfo('sid', INT64, [1])] : []),
  ];
  const graph = msg(
    ...nodes.map((n) => bytes(1, n)),
    str(2, 'tiny-piper'),
    bytes(5, int64Tensor('one', [1])),
    bytes(5, int64Tensor('shape', [1, 1, 1, -1])),
    ...inputs.map((i) => bytes(11, i)),
    bytes(12, valueInfo('output', FLOAT, [1, 1, 1, 'T'])),
  );
  return msg(int(1, 8), str(2, 'arc-test'), bytes(7, graph), bytes(8, msg(str(1, ''), int(2, 13))));
}
