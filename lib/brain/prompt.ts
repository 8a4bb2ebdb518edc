// The spoken assistant's prompt: short sentences, no markdown, memories offered as context, not as orders.
import type { ChatMessage } from '../engines/llm/llm.js';
import type { HistoryTurn, Memory } from '../protocol/index.js';

export const SYSTEM_PROMPT = [
  'You are a voice assistant. Everything you write is spoken aloud by a speech synthesiser.',
  'Answer in one to three short sentences. Put the answer in the first sentence.',
  'Never use markdown, lists, headings, emoji, code or URLs; spell out symbols and numbers as a person would say them.',
  'You remember earlier conversations with this user: relevant things they said are listed below.',
  'Use them when they help; never claim to remember something that is not there; if you do not know, say so.',
].join(' ');

/** System prompt + memories, then the recent turns, then the current utterance. */
export function buildMessages(
  userText: string,
  memories: readonly Memory[],
  history: readonly HistoryTurn[] = [],
): ChatMessage[] {
  const semantic = memories.filter((m) => m.source !== 'recent');
  const memoryBlock =
    semantic.length === 0
      ? 'No earlier memories of this user are relevant.'
      : `What this user said or heard before, most relevant first:\n${semantic
          .map((m) => `- (${m.role === 'user' ? 'user said' : 'you said'}, ${m.createdAt.slice(0, 10)}) ${m.text}`)
          .join('\n')}`;
  const recent: ChatMessage[] = (
    history.length > 0
      ? history.map((t) => ({ role: t.role, content: t.interrupted ? `${t.text} …(interrupted)` : t.text }))
      : memories.filter((m) => m.source === 'recent').map((m) => ({ role: m.role, content: m.text }))
  ) as ChatMessage[];
  return [
    { role: 'system', content: `${SYSTEM_PROMPT}\n\n${memoryBlock}` },
    ...recent,
    { role: 'user', content: userText },
  ];
}
