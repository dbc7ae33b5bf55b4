/** Finished jobs removed by retention: modules holding rows about them remove theirs. */
export class JobsPurgedEvent {
  constructor(readonly jobIds: string[]) {}
}
