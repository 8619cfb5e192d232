/** What a program host tells its parent over IPC. */
export type HostMessage =
  /** Serving Pulumi's language runtime protocol at `address` (`127.0.0.1:<port>`). */
  | { readonly type: "ready"; readonly address: string }
  /** It could not start; it exits next. */
  | { readonly type: "failed"; readonly message: string };
