#!/usr/bin/env node
// The API reference, generated from the sources: docs/api/<package>.md lists every export of the
// package's src/index.ts with its kind, its signature as written in the source and its doc
// comment, read with the TypeScript compiler API (the `typescript` devDependency).
//
//   node scripts/api-docs.mjs           writes docs/api/tensor.md, nn.md, drgrade.md
//   node scripts/api-docs.mjs --check   exits 1, naming the stale pages, when they differ
//
// test/api-docs.node.test.ts runs --check, so the pages follow every change of an export.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = [
  { page: 'tensor', name: '@drgrade/tensor', index: 'packages/tensor/src/index.ts' },
  { page: 'nn', name: '@drgrade/nn', index: 'packages/nn/src/index.ts' },
  { page: 'drgrade', name: 'drgrade', index: 'packages/drgrade/src/index.ts' },
];

function program() {
  const configPath = join(root, 'tsconfig.json');
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);
  return ts.createProgram(PACKAGES.map((p) => join(root, p.index)), options);
}

const KINDS = new Map([
  [ts.SyntaxKind.FunctionDeclaration, 'function'],
  [ts.SyntaxKind.ClassDeclaration, 'class'],
  [ts.SyntaxKind.InterfaceDeclaration, 'interface'],
  [ts.SyntaxKind.TypeAliasDeclaration, 'type'],
  [ts.SyntaxKind.VariableDeclaration, 'const'],
  [ts.SyntaxKind.EnumDeclaration, 'enum'],
]);

/** Source text with runs of whitespace (line breaks included) made single spaces. */
const oneLine = (text) => text.replace(/\s+/g, ' ').trim();

/** A declaration's text up to its body: the signature as the source writes it. */
function head(node, sourceFile) {
  const start = node.getStart(sourceFile);
  const body = node.body ?? null;
  const end = body ? body.getStart(sourceFile) : node.getEnd();
  return oneLine(sourceFile.text.slice(start, end)).replace(/[;{]$/, '').trim();
}

/** The declaration's text with its members' doc comments, for interfaces and type aliases. */
function wholeText(node, sourceFile) {
  return sourceFile.text.slice(node.getStart(sourceFile), node.getEnd()).replace(/^export (declare )?/, '');
}

function docOf(symbol, checker) {
  const text = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
  const tags = symbol.getJsDocTags(checker).map((t) => `@${t.name}${t.text ? ` ${ts.displayPartsToString(t.text)}` : ''}`);
  return [text, ...tags].filter(Boolean).join('\n\n');
}

const isPublic = (member) => !(ts.getCombinedModifierFlags(member) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected))
  && !(member.name && ts.isPrivateIdentifier(member.name));

/**
 * The members an interface merged into a class adds (Tensor's fluent methods): its own and those
 * of the interfaces it extends.
 */
function mergedMembers(declarations, checker) {
  return declarations.filter(ts.isInterfaceDeclaration).flatMap((d) => [
    ...(d.heritageClauses ?? []).flatMap((h) => h.types).flatMap((t) => {
      const symbol = checker.getSymbolAtLocation(t.expression);
      const target = symbol && symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      return mergedMembers(target?.declarations ?? [], checker);
    }),
    ...d.members,
  ]);
}

/** A class's header line and its public members' signatures and first doc-comment lines. */
function classText(node, declarations, checker) {
  const sourceFile = node.getSourceFile();
  const start = node.getStart(sourceFile);
  const lines = [oneLine(sourceFile.text.slice(start, node.members.pos)).replace(/\{$/, '').trim().replace(/^export /, '') + ' {'];
  for (const member of [...node.members, ...mergedMembers(declarations, checker)]) {
    if (!isPublic(member) || ts.isClassStaticBlockDeclaration(member) || ts.isSemicolonClassElement(member)) continue;
    let signature = head(member, member.getSourceFile()).replace(/^(public |override )+/, '');
    if (ts.isPropertyDeclaration(member)) {
      signature = signature.replace(/\s*=.*$/s, '');
      // An initialised property without an annotation: the type the compiler infers.
      if (!member.type) signature += `: ${checker.typeToString(checker.getTypeAtLocation(member.name))}`;
    }
    const symbol = member.name ? checker.getSymbolAtLocation(member.name) : undefined;
    const doc = symbol ? oneLine(ts.displayPartsToString(symbol.getDocumentationComment(checker))) : '';
    if (doc) lines.push(`  /** ${doc} */`);
    lines.push(`  ${signature};`);
  }
  lines.push('}');
  return lines.join('\n');
}

function constText(decl, checker) {
  const keyword = decl.parent.flags & ts.NodeFlags.Const ? 'const' : 'let';
  const type = decl.type ? decl.type.getText() : checker.typeToString(checker.getTypeAtLocation(decl.name), decl, ts.TypeFormatFlags.NoTruncation);
  return `${keyword} ${decl.name.getText()}: ${oneLine(type)}`;
}

/** One export: its kind, where it is defined, its signature and doc comment. */
function describe(name, symbol, checker) {
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  const declarations = (target.declarations ?? []).filter((d) => KINDS.has(d.kind));
  const first = declarations[0];
  if (!first) throw new Error(`api-docs: export ${name} has no declaration the generator knows`);
  const sourceFile = first.getSourceFile();
  const kind = KINDS.get(first.kind);
  let signature;
  if (kind === 'function') signature = declarations.map((d) => head(d, sourceFile).replace(/^export /, '')).join('\n');
  else if (kind === 'class') signature = classText(first, declarations, checker);
  else if (kind === 'const') signature = constText(first, checker);
  else signature = wholeText(first, sourceFile);
  return { name, kind, file: relative(root, sourceFile.fileName), signature, doc: docOf(target, checker) };
}

/** Code-unit order, the same on every machine (localeCompare depends on the ICU data). */
const compare = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

function page(pkg, checker, sourceFile) {
  const moduleSymbol = checker.getSymbolAtLocation(sourceFile);
  const entries = checker.getExportsOfModule(moduleSymbol).map((s) => describe(s.getName(), s, checker))
    .sort((a, b) => compare(a.name.toLowerCase(), b.name.toLowerCase()) || compare(a.name, b.name));
  // GitHub's heading anchors: lower case, and a repeated one (Tensor after tensor) gets -1, -2, ...
  const seen = new Map();
  for (const e of entries) {
    const base = e.name.toLowerCase();
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    e.anchor = n === 0 ? base : `${base}-${n}`;
  }
  const counts = [...new Set(entries.map((e) => e.kind))].map((k) => `${entries.filter((e) => e.kind === k).length} ${k}${k === 'class' ? 'es' : 's'}`).join(', ');
  const out = [
    `# ${pkg.name} API reference`,
    '',
    `Every export of \`${pkg.index}\` (${counts}), in alphabetical order: its kind, its signature as the`,
    'source writes it, and its doc comment. Generated by `node scripts/api-docs.mjs` from the sources; do not edit',
    '(test/api-docs.node.test.ts checks that this page is current).',
    '',
    entries.map((e) => `[\`${e.name}\`](#${e.anchor})`).join(' · '),
    '',
  ];
  for (const e of entries) {
    out.push(`## ${e.name}`, '', `${e.kind} · \`${e.file}\``, '', '```ts', e.signature, '```', '');
    if (e.doc) out.push(e.doc, '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** The pages by path relative to the repository root. */
export function apiPages() {
  const prog = program();
  const checker = prog.getTypeChecker();
  return new Map(PACKAGES.map((pkg) => [join('docs', 'api', `${pkg.page}.md`), page(pkg, checker, prog.getSourceFile(join(root, pkg.index)))]));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const pages = apiPages();
  if (process.argv.includes('--check')) {
    const stale = [...pages].filter(([path, text]) => {
      try { return readFileSync(join(root, path), 'utf8') !== text; } catch { return true; }
    }).map(([path]) => path);
    if (stale.length) {
      console.error(`api-docs: ${stale.join(', ')} differ from the sources; run node scripts/api-docs.mjs`);
      process.exit(1);
    }
    console.log(`api-docs: ${[...pages.keys()].join(', ')} are current`);
  } else {
    for (const [path, text] of pages) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
      console.log(`api-docs: wrote ${path}`);
    }
  }
}
