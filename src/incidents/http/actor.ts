import type { AuthUser } from '../../platform/auth/index.js';
import type { Actor } from '../data/incident.repository.js';

/** Who did it, as history and events record it. */
export const actorOf = (user: AuthUser): Actor => ({ id: user.id, username: user.username, ...(user.name ? { name: user.name } : {}) });
