/**
 * The whole-program stage: call graph, summaries and calling contexts over every analysed
 * function. Rules read it through ProgramView.
 */
import type { FunctionView } from '../function/view.js';
import type { Model } from '../model/context.js';
import type { FileFacts } from '../syntax/facts.js';
import { emptyProgramView, type ProgramView } from './program-view.js';

export interface Program {
  views: FunctionView[];
  view: ProgramView;
}

export function buildProgram(_files: { path: string; facts: FileFacts }[], views: FunctionView[], _model: Model): Program {
  return { views, view: emptyProgramView };
}
