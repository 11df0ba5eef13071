import { join } from 'node:path';
import ts from 'typescript';

/** A type a public declaration of the package refers to that the package's entry does not export. */
export interface UnexportedReference {
  /** The exported name whose declaration refers to it. */
  readonly exportedName: string;
  /** The name referred to. */
  readonly referencedName: string;
  /** The declaration file (relative to the package's src) that declares it. */
  readonly declaredIn: string;
}

/**
 * The package's .d.ts files, emitted in memory from its tsconfig (as `tsc` would write them to
 * dist), under `<packageRoot>/.d.ts-in-memory/` so that imports of dependencies still resolve
 * from the package's node_modules.
 */
function emitDeclarations(packageRoot: string): { readonly outDir: string; readonly files: Map<string, string> } {
  const configPath = join(packageRoot, 'tsconfig.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error(`cannot read ${configPath}`);
  const outDir = join(packageRoot, '.d.ts-in-memory');
  const options: ts.CompilerOptions = {
    ...parsed.options,
    outDir,
    declaration: true,
    emitDeclarationOnly: true,
    declarationMap: false,
    sourceMap: false,
    noEmit: false,
    composite: false,
    incremental: false,
  };
  delete options.tsBuildInfoFile;
  const program = ts.createProgram(parsed.fileNames, options);
  const files = new Map<string, string>();
  const result = program.emit(undefined, (fileName, text) => {
    if (fileName.endsWith('.d.ts')) files.set(ts.sys.resolvePath(fileName), text);
  });
  const errors = result.diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) throw new Error(ts.formatDiagnostics(errors, ts.createCompilerHost(options)));
  return { outDir, files };
}

/** A program over the in-memory declaration files, rooted at the entry's .d.ts. */
function declarationProgram(outDir: string, files: Map<string, string>, entry: string): ts.Program {
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: [],
    noEmit: true,
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  const directoryExists = host.directoryExists?.bind(host);
  host.readFile = (name) => files.get(ts.sys.resolvePath(name)) ?? readFile(name);
  host.fileExists = (name) => files.has(ts.sys.resolvePath(name)) || fileExists(name);
  // Module resolution looks for the folder before the file; the in-memory one is not on disk.
  host.directoryExists = (name) => ts.sys.resolvePath(name).startsWith(outDir) || (directoryExists?.(name) ?? true);
  host.getSourceFile = (name, languageVersion, onError, shouldCreate) => {
    const text = files.get(ts.sys.resolvePath(name));
    return text === undefined ? getSourceFile(name, languageVersion, onError, shouldCreate) : ts.createSourceFile(name, text, languageVersion, true);
  };
  return ts.createProgram([join(outDir, entry)], options, host);
}

function resolved(checker: ts.TypeChecker, symbol: ts.Symbol): ts.Symbol {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/** The symbols a type position names: `Foo`, `ns.Foo`, `typeof foo`, `import('./x').Foo`, `extends Foo`. */
function referencedSymbols(checker: ts.TypeChecker, node: ts.Node): ts.Symbol[] {
  let name: ts.Node | undefined;
  if (ts.isTypeReferenceNode(node)) name = node.typeName;
  else if (ts.isExpressionWithTypeArguments(node)) name = node.expression;
  else if (ts.isTypeQueryNode(node)) name = node.exprName;
  else if (ts.isImportTypeNode(node)) name = node.qualifier;
  if (!name) return [];
  const rightmost = ts.isQualifiedName(name) ? name.right : ts.isPropertyAccessExpression(name) ? name.name : name;
  const symbol = checker.getSymbolAtLocation(rightmost);
  return symbol ? [resolved(checker, symbol)] : [];
}

/**
 * Every type (or value named in a `typeof`) that a declaration exported from the package's entry
 * refers to, is declared in the package, and is not itself exported from the entry — read from the
 * .d.ts files the package publishes, so inferred return types count too. Such a type is one a
 * user sees in a signature but cannot import by name.
 */
export function unexportedPublicReferences(packageRoot: string, entry = 'index.d.ts'): UnexportedReference[] {
  const { outDir, files } = emitDeclarations(packageRoot);
  const program = declarationProgram(outDir, files, entry);
  const checker = program.getTypeChecker();
  const entryFile = program.getSourceFile(join(outDir, entry));
  const moduleSymbol = entryFile && checker.getSymbolAtLocation(entryFile);
  if (!moduleSymbol) throw new Error(`no module at ${join(outDir, entry)}`);
  const exports = checker.getExportsOfModule(moduleSymbol);
  const exported = new Set(exports.map((symbol) => resolved(checker, symbol)));
  const isInPackage = (declaration: ts.Declaration): boolean => files.has(ts.sys.resolvePath(declaration.getSourceFile().fileName));

  const found = new Map<string, UnexportedReference>();
  for (const exportSymbol of exports) {
    const target = resolved(checker, exportSymbol);
    for (const declaration of target.declarations ?? []) {
      const visit = (node: ts.Node): void => {
        for (const symbol of referencedSymbols(checker, node)) {
          if (symbol.flags & ts.SymbolFlags.TypeParameter || exported.has(symbol)) continue;
          const declaredAt = symbol.declarations?.find(isInPackage);
          if (!declaredAt || declaredAt === declaration) continue;
          const declaredIn = declaredAt.getSourceFile().fileName.slice(outDir.length + 1);
          const key = `${exportSymbol.name}→${symbol.name}`;
          found.set(key, { exportedName: exportSymbol.name, referencedName: symbol.name, declaredIn });
        }
        ts.forEachChild(node, visit);
      };
      visit(declaration);
    }
  }
  return [...found.values()];
}
