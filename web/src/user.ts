// Who is talking: a user id kept in localStorage and editable on the page. It names whose memory is read and
// written; it is not authentication (anyone can type any id — see docs/web.md).

const KEY = 'arc.userId';
/** The same characters a LiveKit identity allows, so room and local mode store under one id. */
export const USER_ID_PATTERN = /^[A-Za-z0-9_.@+-]{1,64}$/;

export function currentUserId(): string {
  const saved = safeGet();
  if (saved && USER_ID_PATTERN.test(saved)) return saved;
  const fresh = `user-${crypto.randomUUID().slice(0, 8)}`;
  safeSet(fresh);
  return fresh;
}

/** Saves a new id; returns false (and keeps the old one) when it is not valid. */
export function setUserId(id: string): boolean {
  const v = id.trim();
  if (!USER_ID_PATTERN.test(v)) return false;
  safeSet(v);
  return true;
}

function safeGet(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

function safeSet(v: string): void {
  try {
    localStorage.setItem(KEY, v);
  } catch {
    // storage disabled: the id lives for this page only
  }
}

/** Binds an <input> to the user id: shows it, saves valid edits, flags invalid ones. */
export function bindUserField(input: HTMLInputElement, onChange: (id: string) => void): void {
  input.value = currentUserId();
  input.pattern = USER_ID_PATTERN.source.slice(1, -1);
  input.addEventListener('change', () => {
    if (setUserId(input.value)) {
      input.setCustomValidity('');
      onChange(currentUserId());
    } else {
      input.setCustomValidity('1–64 characters: letters, digits and _ . @ + -');
      input.reportValidity();
    }
  });
}
