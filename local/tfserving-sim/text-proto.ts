/**
 * A protobuf text-format reader, enough for TF Serving's config files (batching parameters, monitoring config):
 * fields, nested messages in {} or <>, scalars, [a, b] lists, # comments. Schema checks are the caller's.
 */

export interface TextScalar {
  kind: 'number' | 'string' | 'identifier';
  text: string;
  line: number;
  column: number;
}

export interface TextField {
  name: string;
  line: number;
  column: number;
  value: TextScalar | TextField[];
}

export class TextProtoError extends Error {
  override readonly name = 'TextProtoError';
}

interface Token {
  kind: 'number' | 'string' | 'identifier' | 'symbol' | 'end';
  text: string;
  line: number;
  column: number;
}

function unquote(quoted: string, line: number, column: number): string {
  const inner = quoted.slice(1, -1).replace(/\\'/g, "'");
  try {
    // JSON's escapes are text format's common ones; a bare double quote can only come from a single-quoted string.
    return JSON.parse(`"${inner.replace(/(^|[^\\])"/g, '$1\\"')}"`) as string;
  } catch {
    throw new TextProtoError(`${line}:${column}: unsupported escape in string ${quoted}`);
  }
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const pattern =
    /(\s+|#[^\n]*)|([A-Za-z_][A-Za-z0-9_.]*)|(-?(?:0x[0-9a-fA-F]+|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)[fF]?)|("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|([{}<>:[\],;])/y;
  let line = 1;
  let lineStart = 0;
  for (let at = 0; at < source.length;) {
    pattern.lastIndex = at;
    const m = pattern.exec(source);
    const column = at - lineStart + 1;
    if (!m) throw new TextProtoError(`${line}:${column}: unexpected character ${JSON.stringify(source[at])}`);
    const [text, space, ident, num, str] = m;
    if (ident !== undefined) tokens.push({ kind: 'identifier', text, line, column });
    else if (num !== undefined) tokens.push({ kind: 'number', text, line, column });
    else if (str !== undefined) tokens.push({ kind: 'string', text: unquote(str, line, column), line, column });
    else if (space === undefined) tokens.push({ kind: 'symbol', text, line, column });
    for (let i = at; i < at + text.length; i++) {
      if (source[i] === '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    at += text.length;
  }
  tokens.push({ kind: 'end', text: 'end of input', line, column: source.length - lineStart + 1 });
  return tokens;
}

/** Parses text format into fields in file order (a repeated field appears once per value). */
export function parseTextProto(source: string): TextField[] {
  const tokens = tokenize(source);
  let i = 0;
  const peek = (): Token => tokens[i] as Token;
  const fail = (t: Token, expected: string): never => {
    throw new TextProtoError(`${t.line}:${t.column}: Expected ${expected}, found "${t.text}".`);
  };
  const isSymbol = (text: string) => peek().kind === 'symbol' && peek().text === text;

  function scalar(): TextScalar {
    const t = peek();
    if (t.kind !== 'number' && t.kind !== 'string' && t.kind !== 'identifier') return fail(t, 'a value');
    i++;
    return { kind: t.kind, text: t.text, line: t.line, column: t.column };
  }

  function message(close: string | undefined): TextField[] {
    const fields: TextField[] = [];
    for (;;) {
      const t = peek();
      if (close !== undefined && t.kind === 'symbol' && t.text === close) {
        i++;
        return fields;
      }
      if (t.kind === 'end') return close === undefined ? fields : fail(t, `"${close}"`);
      if (t.kind !== 'identifier') fail(t, 'identifier');
      i++;
      const colon = isSymbol(':');
      if (colon) i++;
      if (isSymbol('{') || isSymbol('<')) {
        const end = peek().text === '{' ? '}' : '>';
        i++;
        fields.push({ name: t.text, line: t.line, column: t.column, value: message(end) });
      } else if (!colon) {
        fail(peek(), '":"');
      } else if (isSymbol('[')) {
        i++;
        while (!isSymbol(']')) {
          fields.push({ name: t.text, line: t.line, column: t.column, value: scalar() });
          if (isSymbol(',')) i++;
          else if (!isSymbol(']')) fail(peek(), '"," or "]"');
        }
        i++;
      } else {
        fields.push({ name: t.text, line: t.line, column: t.column, value: scalar() });
      }
      if (isSymbol(',') || isSymbol(';')) i++;
    }
  }

  return message(undefined);
}
