// The agent the session runs: it greets on join; every reply comes from the brain through SherlockLLM.
import { voice } from '@livekit/agents';

/** The brain writes the replies; these instructions only matter to agents-js internals that read them. */
const INSTRUCTIONS = 'You are ARC, a voice assistant. Answer in short, plain spoken sentences.';

export class ArcAgent extends voice.Agent {
  constructor(private readonly greeting: string | null) {
    super({ instructions: INSTRUCTIONS });
  }

  override async onEnter(): Promise<void> {
    // Interruptible: a user who starts talking right away is heard, not talked over.
    if (this.greeting) this.session.say(this.greeting, { allowInterruptions: true });
  }
}
