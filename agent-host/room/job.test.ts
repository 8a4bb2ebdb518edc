import { describe, expect, it } from 'vitest';
import { agentEventsSubject, subjectId } from '../../lib/protocol/index.js';
import { sessionIdFor } from './job.js';

describe('sessionIdFor', () => {
  it('is the room name, so a conversation and its events subject are named after the room', () => {
    expect(sessionIdFor('room-1', 'AJ_x')).toBe('room-1');
    expect(agentEventsSubject(sessionIdFor('room_A-9', 'AJ_x'))).toBe('agent.events.room_A-9');
  });

  it('falls back to the job id when the room name cannot be a subject token', () => {
    for (const room of [undefined, '', 'room.with.dots', 'room 1', 'a>b', '*', 'r'.repeat(65)]) {
      const id = sessionIdFor(room, 'AJ_abc-123');
      expect(id, String(room)).toBe('AJ_abc-123');
    }
    expect(sessionIdFor('x.y', 'AJ.odd id')).toBe('AJ_odd_id');
    for (const id of [sessionIdFor('bad room', ''), sessionIdFor(undefined, 'AJ.x'), sessionIdFor('ok', 'AJ')]) {
      expect(subjectId.safeParse(id).success, id).toBe(true);
    }
  });
});
