/**
 * The generated fetch client names DOM's global `BodyInit`. This project compiles without the DOM library
 * (Node's types declare fetch, Request and Response, but not that alias), so it is declared here from the
 * type Node's `Response` constructor accepts.
 */
type BodyInit = NonNullable<ConstructorParameters<typeof Response>[0]>;
