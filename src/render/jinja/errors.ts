/**
 * Errors of the template engine. Each carries where in the template it
 * happened (line and column, 1-based) once known; environment.ts turns them
 * into one-paragraph UserErrors naming the file.
 */
export interface TemplatePosition {
  line: number;
  column: number;
}

export class TemplateError extends Error {
  position?: TemplatePosition;
  constructor(message: string, position?: TemplatePosition) {
    super(message);
    this.position = position;
  }
  /** Attaches the innermost position known; an inner one wins. */
  at(position: TemplatePosition | undefined): this {
    this.position ??= position;
    return this;
  }
}

/** The template is not valid Jinja2 (Jinja2 refuses it too). */
export class TemplateSyntaxError extends TemplateError {}

/** Jinja2 would fail while rendering (a TypeError, a missing value). */
export class TemplateRuntimeError extends TemplateError {}

/**
 * Valid Jinja2 that mensemble does not render exactly as Jinja2 does: refused,
 * never approximated. `construct` names it for the message.
 */
export class UnsupportedConstruct extends TemplateError {
  constructor(readonly construct: string, why: string, position?: TemplatePosition) {
    super(`${construct} is not supported: ${why}`, position);
  }
}
