import { Query } from '@nestjs/cqrs';

export interface SigningSecrets {
  current: string;
  /** The secret replaced by a rotation less than 24 h ago: deliveries carry a signature with it too. */
  previous?: string;
}

/** The `whsec_` secrets a user's webhook deliveries are signed with. */
export class GetSigningSecretsQuery extends Query<SigningSecrets> {
  constructor(readonly userId: string) {
    super();
  }
}
