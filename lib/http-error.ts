/** An error the server answers with its own HTTP status and message (the server's routes and limits). */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}
