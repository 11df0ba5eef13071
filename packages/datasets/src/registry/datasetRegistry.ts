import { AaclipError } from '@aaclip/core';
import type { z } from 'zod';
import type { DatasetFactory } from './datasetFactory.js';

export interface RegisteredDataset {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly factory: DatasetFactory;
}

export interface RegisterDatasetOptions {
  /** Other names the format answers to (looked up case-insensitively, like the name). */
  readonly aliases?: readonly string[];
  /** Replace a format already registered under this name instead of failing. */
  readonly replace?: boolean;
}

interface Registry {
  readonly byKey: Map<string, RegisteredDataset>;
  readonly entries: RegisteredDataset[];
}

// Kept on globalThis so that a plugin resolving its own copy of @aaclip/datasets still registers
// into the registry the CLI reads.
const REGISTRY_KEY = Symbol.for('@aaclip/datasets/registry');

function registry(): Registry {
  const holder = globalThis as { [REGISTRY_KEY]?: Registry };
  holder[REGISTRY_KEY] ??= { byKey: new Map(), entries: [] };
  return holder[REGISTRY_KEY];
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Adds a dataset format under `name`, so that every command taking a dataset kind accepts it.
 * Names are matched case-insensitively; registering a taken name fails unless `replace` is set.
 */
export function registerDataset<Schema extends z.ZodType>(
  name: string,
  factory: DatasetFactory<Schema>,
  options: RegisterDatasetOptions = {},
): void {
  const names = [name, ...(options.aliases ?? [])];
  for (const n of names) {
    if (!NAME_PATTERN.test(n)) {
      throw new AaclipError('must be letters, digits, "_", "." or "-", starting with a letter or digit', `dataset name "${n}"`);
    }
  }
  const { byKey, entries } = registry();
  const previous = byKey.get(name.toLowerCase());
  for (const n of names) {
    const taken = byKey.get(n.toLowerCase());
    if (taken && !(options.replace && taken === previous)) {
      throw new AaclipError(`already registered (as "${taken.name}")`, `dataset name "${n}"`);
    }
  }
  if (previous) {
    unregisterDataset(previous.name);
  }
  const entry: RegisteredDataset = {
    name,
    aliases: [...(options.aliases ?? [])],
    factory: factory as unknown as DatasetFactory,
  };
  entries.push(entry);
  for (const n of names) byKey.set(n.toLowerCase(), entry);
}

/** Removes a format (by name or alias); returns whether one was registered. */
export function unregisterDataset(name: string): boolean {
  const { byKey, entries } = registry();
  const entry = byKey.get(name.toLowerCase());
  if (!entry) return false;
  for (const n of [entry.name, ...entry.aliases]) byKey.delete(n.toLowerCase());
  entries.splice(entries.indexOf(entry), 1);
  return true;
}

/** The format registered under `name` (or an alias); an unknown name fails listing the known ones. */
export function getDataset(name: string): RegisteredDataset {
  const entry = registry().byKey.get(name.toLowerCase());
  if (!entry) {
    const known = listDatasets().map((d) => d.name);
    throw new AaclipError(`unknown dataset kind (known: ${known.join(', ')})`, `dataset "${name}"`);
  }
  return entry;
}

/** Whether a format answers to `name` (or an alias). */
export function isDatasetRegistered(name: string): boolean {
  return registry().byKey.has(name.toLowerCase());
}

/** Every registered format, in registration order. */
export function listDatasets(): readonly RegisteredDataset[] {
  return [...registry().entries];
}
