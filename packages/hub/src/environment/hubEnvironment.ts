import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AaclipError } from '@aaclip/core';

/** Where the hub is and how to reach it, read from the environment the Hugging Face clients honour. */
export interface HubEnvironment {
  /** The hub's address, without a trailing slash (`HF_ENDPOINT`, default https://huggingface.co). */
  readonly endpoint: string;
  /** A user access token sent as `Authorization: Bearer` to the hub only (`HF_TOKEN`, or the token file). */
  readonly token?: string;
  /** The hub cache folder (`HF_HUB_CACHE`, else `HF_HOME/hub`, else `~/.cache/huggingface/hub`). */
  readonly cacheDir: string;
  /** `HF_HUB_OFFLINE=1`: no request at all, everything from the cache. */
  readonly offline: boolean;
}

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

/** huggingface_hub's reading of a boolean variable: 1, ON, YES, TRUE (any case) are true. */
function isTrue(value: string | undefined): boolean {
  return value !== undefined && ['1', 'ON', 'YES', 'TRUE'].includes(value.trim().toUpperCase());
}

/** `~` at the start of a path is the home folder, as huggingface_hub expands it. */
function expandHome(value: string): string {
  return value === '~' || value.startsWith('~/') ? path.join(os.homedir(), value.slice(1)) : value;
}

/** HF_HOME: `$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`. */
function hfHome(env: NodeJS.ProcessEnv): string {
  if (env.HF_HOME) return expandHome(env.HF_HOME);
  return path.join(env.XDG_CACHE_HOME ? expandHome(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache'), 'huggingface');
}

/** The token: `HF_TOKEN`, else the file `huggingface-cli login` writes (`HF_TOKEN_PATH`, default `$HF_HOME/token`). */
function readToken(env: NodeJS.ProcessEnv): string | undefined {
  const fromEnv = env.HF_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  const file = env.HF_TOKEN_PATH ? expandHome(env.HF_TOKEN_PATH) : path.join(hfHome(env), 'token');
  try {
    const stored = readFileSync(file, 'utf8').trim();
    return stored || undefined;
  } catch {
    return undefined;
  }
}

function checkedEndpoint(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AaclipError(`"${value}" is not a URL`, 'HF_ENDPOINT');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AaclipError(`"${value}" is not an http(s) URL`, 'HF_ENDPOINT');
  return value.replace(/\/+$/, '');
}

/** The hub settings from `env` (default: the process environment); `overrides` win over it. */
export function hubEnvironment(env: NodeJS.ProcessEnv = process.env, overrides: Partial<HubEnvironment> = {}): HubEnvironment {
  const cacheDir = overrides.cacheDir ?? (env.HF_HUB_CACHE ? expandHome(env.HF_HUB_CACHE) : env.HUGGINGFACE_HUB_CACHE ? expandHome(env.HUGGINGFACE_HUB_CACHE) : path.join(hfHome(env), 'hub'));
  const token = overrides.token ?? readToken(env);
  return {
    endpoint: checkedEndpoint(overrides.endpoint ?? env.HF_ENDPOINT ?? DEFAULT_ENDPOINT),
    ...(token ? { token } : {}),
    cacheDir: path.resolve(cacheDir),
    offline: overrides.offline ?? isTrue(env.HF_HUB_OFFLINE),
  };
}
