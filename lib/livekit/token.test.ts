import { TokenVerifier } from 'livekit-server-sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ArcError } from '../protocol/index.js';
import {
  AGENT_NAME,
  createParticipantToken,
  DEFAULT_TOKEN_TTL_SECONDS,
  MAX_TOKEN_TTL_SECONDS,
  verifyParticipantToken,
} from './token.js';

const livekit = { url: 'wss://livekit.arc.local', apiKey: 'APIarc', apiSecret: 'a-secret-of-at-least-32-characters!!' };

async function rejected(p: Promise<unknown>): Promise<ArcError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected a rejection').toBeInstanceOf(ArcError);
  return err as ArcError;
}

describe('createParticipantToken', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('grants one identity a join to one room only: publish mic, subscribe, data; nothing administrative', async () => {
    const { token, url } = await createParticipantToken(livekit, { identity: 'alice', room: 'room-1', name: 'Alice' });
    expect(url).toBe(livekit.url);
    const claims = await new TokenVerifier(livekit.apiKey, livekit.apiSecret).verify(token, 0);
    expect(claims.iss).toBe(livekit.apiKey);
    expect(claims.sub).toBe('alice');
    expect(claims.name).toBe('Alice');
    expect(claims.video).toEqual({
      room: 'room-1',
      roomJoin: true,
      canPublish: true,
      canSubscribe: true,
      canPublishData: true,
    });
    for (const power of ['roomAdmin', 'roomCreate', 'roomList', 'roomRecord', 'agent', 'hidden'] as const) {
      expect(claims.video?.[power], power).toBeFalsy();
    }
  });

  it('dispatches the agent by name in the room configuration, unless told not to', async () => {
    const withAgent = await createParticipantToken(livekit, { identity: 'alice', room: 'room-1' });
    const verified = await verifyParticipantToken(livekit, withAgent.token, { room: 'room-1', identity: 'alice' });
    expect(verified.dispatches).toEqual([AGENT_NAME]);
    expect(verified.claims.roomConfig).toMatchObject({ agents: [{ agentName: 'arc-daredevil' }] });

    const without = await createParticipantToken(livekit, { identity: 'bob', room: 'room-1', dispatchAgent: false });
    const plain = await verifyParticipantToken(livekit, without.token);
    expect(plain.dispatches).toEqual([]);
    expect(plain.claims.roomConfig).toBeUndefined();
  });

  it('expires after its TTL (default 10 minutes), and expiresAt says when', async () => {
    const before = Date.now();
    const { token, expiresAt } = await createParticipantToken(livekit, { identity: 'alice', room: 'room-1' });
    const claims = await new TokenVerifier(livekit.apiKey, livekit.apiSecret).verify(token, 0);
    expect((claims.exp ?? 0) - (claims.nbf ?? 0)).toBe(DEFAULT_TOKEN_TTL_SECONDS);
    expect(expiresAt).toBeGreaterThanOrEqual(before + DEFAULT_TOKEN_TTL_SECONDS * 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + DEFAULT_TOKEN_TTL_SECONDS * 1000);

    const short = await createParticipantToken(livekit, { identity: 'alice', room: 'room-1', ttlSeconds: 30 });
    const shortClaims = await new TokenVerifier(livekit.apiKey, livekit.apiSecret).verify(short.token, 0);
    expect((shortClaims.exp ?? 0) - (shortClaims.nbf ?? 0)).toBe(30);

    // 31 s later the short one is refused, by the SDK's verifier and by ours; the long one still passes.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 31_000 });
    await expect(new TokenVerifier(livekit.apiKey, livekit.apiSecret).verify(short.token, 0)).rejects.toThrow(/exp/);
    const err = await rejected(verifyParticipantToken(livekit, short.token, { room: 'room-1' }));
    expect(err.code).toBe('unauthorized');
    expect(err.message).toMatch(/expired/);
    await expect(verifyParticipantToken(livekit, token, { room: 'room-1' })).resolves.toMatchObject({ room: 'room-1' });
  });

  it('refuses TTLs outside 10 s … 1 h', async () => {
    for (const ttlSeconds of [0, 9, MAX_TOKEN_TTL_SECONDS + 1, 1.5, Number.NaN]) {
      const err = await rejected(createParticipantToken(livekit, { identity: 'alice', room: 'room-1', ttlSeconds }));
      expect(err.code, String(ttlSeconds)).toBe('invalid_request');
    }
    await expect(
      createParticipantToken(livekit, { identity: 'alice', room: 'room-1', ttlSeconds: MAX_TOKEN_TTL_SECONDS }),
    ).resolves.toHaveProperty('token');
  });

  it('refuses room names and identities that are empty, too long or carry other characters', async () => {
    const badRooms = ['', 'a'.repeat(65), 'room 1', 'room.1', 'room/1', 'rööm', '*', 'room>'];
    for (const room of badRooms) {
      const err = await rejected(createParticipantToken(livekit, { identity: 'alice', room }));
      expect([err.code, err.details], room).toEqual(['invalid_request', { field: 'room' }]);
    }
    const badIdentities = ['', 'a'.repeat(129), 'al ice', 'alice\n', 'al/ice', 'ålice'];
    for (const identity of badIdentities) {
      const err = await rejected(createParticipantToken(livekit, { identity, room: 'room-1' }));
      expect([err.code, err.details], identity).toEqual(['invalid_request', { field: 'identity' }]);
    }
    await expect(
      createParticipantToken(livekit, { identity: 'user.name+tag@example.com', room: 'A_b-9'.repeat(12) }),
    ).resolves.toHaveProperty('token');
  });

  it('is unavailable, naming the variables, when room mode is not configured', async () => {
    const err = await rejected(createParticipantToken({ url: livekit.url }, { identity: 'alice', room: 'room-1' }));
    expect(err.code).toBe('unavailable');
    expect(err.message).toMatch(/LIVEKIT_API_KEY/);
  });
});

describe('verifyParticipantToken', () => {
  it('detects a token for another room, for another identity, or signed with another secret', async () => {
    const { token } = await createParticipantToken(livekit, { identity: 'alice', room: 'room-1' });

    const otherRoom = await rejected(verifyParticipantToken(livekit, token, { room: 'room-2' }));
    expect(otherRoom.code).toBe('forbidden');
    expect(otherRoom.message).toContain('"room-1", not "room-2"');

    const otherIdentity = await rejected(verifyParticipantToken(livekit, token, { identity: 'mallory' }));
    expect(otherIdentity.code).toBe('forbidden');

    const forged = await createParticipantToken(
      { ...livekit, apiSecret: 'another-secret-of-32-characters-!!!' },
      { identity: 'alice', room: 'room-1' },
    );
    const badSignature = await rejected(verifyParticipantToken(livekit, forged.token, { room: 'room-1' }));
    expect(badSignature.code).toBe('unauthorized');

    const otherKey = await createParticipantToken(
      { ...livekit, apiKey: 'APIother' },
      { identity: 'a', room: 'room-1' },
    );
    expect((await rejected(verifyParticipantToken(livekit, otherKey.token))).code).toBe('unauthorized');
    expect((await rejected(verifyParticipantToken(livekit, 'not.a.jwt'))).code).toBe('unauthorized');
  });
});
