import argon2 from 'argon2';

export interface HashParams {
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** Spends the same time as a real verify, for accounts that do not exist (no timing oracle). */
  verifyNothing(password: string): Promise<false>;
}

export function createPasswordHasher(params: HashParams): PasswordHasher {
  const options = { type: argon2.argon2id as 2, memoryCost: params.memoryKiB, timeCost: params.iterations, parallelism: params.parallelism };
  let dummy: Promise<string> | null = null;
  return {
    hash: (password) => argon2.hash(password, options),
    verify: async (hash, password) => {
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false;
      }
    },
    verifyNothing: async (password) => {
      dummy ??= argon2.hash('not a real password: timing equaliser', options);
      await argon2.verify(await dummy, password).catch(() => false);
      return false;
    },
  };
}
