import * as functions from '@google-cloud/functions-framework';

/** The baseline of `npm run bench:cold-start`: one HTTP function on the same framework, answering 200. */
functions.http('hello', (_req, res) => {
  res.status(200).send('ok');
});
