/** Settings the renderers read (set by the settings plugin from JupyterLab's registry). */

export const rendererSettings = {
  /** Rows per page of a result table. */
  pageSize: 50
};
