import { HttpProblem } from '../../../platform/http/index.js';
import type { IncidentsDeps } from '../../domain/deps.js';
import { esbIncidentSchema } from './esb.schemas.js';
import { fileFromEsb } from './esb-intake.js';

/** A message no retry can make acceptable: it goes to the dead-letter queue with this reason. */
export class PoisonMessage extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'PoisonMessage';
  }
}

export type EsbMessageHandler = (body: Buffer, messageId: string | undefined) => Promise<'filed' | 'duplicate'>;

/**
 * Files one service-bus message: validated like POST /intake/esb, idempotent on its AMQP
 * message-id. Throws PoisonMessage for what cannot ever be filed; any other error is a
 * failure worth retrying (the database away, say).
 */
export function esbMessageHandler(deps: IncidentsDeps, source: { queue: string }): EsbMessageHandler {
  const schema = esbIncidentSchema(deps.settings.categories);
  const actor = { id: `amqp:${source.queue}`, username: 'service-bus' };
  return async (body, messageId) => {
    if (!messageId) throw new PoisonMessage('no message-id property: the message cannot be filed exactly once');
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new PoisonMessage('the body is not JSON');
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new PoisonMessage(`invalid incident: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ')}`);
    try {
      const result = await fileFromEsb(deps, { externalId: `amqp:${messageId}`, incident: parsed.data }, actor);
      return result.repeat ? 'duplicate' : 'filed';
    } catch (error) {
      // A refusal (the message id reused with another body) stays a refusal however often it comes.
      if (error instanceof HttpProblem && error.status < 500) throw new PoisonMessage(error.detail ?? error.title);
      throw error;
    }
  };
}
