import { brainMriFormat, liverCtFormat, rescFormat } from '../formats/bmad.js';
import { btadFormat } from '../formats/btad.js';
import { folderFormat } from '../formats/folder.js';
import { jsonlManifestFormat } from '../formats/jsonlManifest.js';
import { mpddFormat } from '../formats/mpdd.js';
import { mvtecFormat } from '../formats/mvtec.js';
import { cvc300Format, cvcClinicDbFormat, cvcColonDbFormat, kvasirFormat } from '../formats/polyp.js';
import { visaFormat } from '../formats/visa.js';
import type { DatasetFactory } from './datasetFactory.js';
import { isDatasetRegistered, registerDataset } from './datasetRegistry.js';

// The formats this package ships, under short names; the aliases are the reference's dataset
// names. Registered once even if two copies of the package are loaded.
const BUILTIN: readonly (readonly [name: string, factory: DatasetFactory, aliases: readonly string[]])[] = [
  ['mvtec', mvtecFormat, ['mvtec-ad']],
  ['visa', visaFormat, []],
  ['btad', btadFormat, ['btech']],
  ['mpdd', mpddFormat, []],
  ['brain-mri', brainMriFormat, ['brain']],
  ['liver-ct', liverCtFormat, ['liver']],
  ['resc', rescFormat, ['retina']],
  ['cvc-clinicdb', cvcClinicDbFormat, ['colon_clinicdb']],
  ['cvc-colondb', cvcColonDbFormat, ['colon_colondb']],
  ['kvasir', kvasirFormat, ['colon_kvasir']],
  ['cvc-300', cvc300Format, ['colon_cvc300']],
  ['jsonl', jsonlManifestFormat, ['manifest']],
  ['folder', folderFormat, []],
];

for (const [name, factory, aliases] of BUILTIN) {
  if (!isDatasetRegistered(name)) registerDataset(name, factory, { aliases });
}
