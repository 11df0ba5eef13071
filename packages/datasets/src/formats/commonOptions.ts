import { z } from 'zod';

/** `classes`: read only these classes (each must be present). */
export const classesOption = z.array(z.string().min(1)).min(1).optional();

/** `promptNames`: class → prompt name, overriding the reference's table (for custom classes). */
export const promptNamesOption = z.record(z.string(), z.string().min(1)).optional();

export const domainOption = z.enum(['industrial', 'medical']);
