"""Column lineage of pandas and polars steps (nbgov/capture/columns.py), in process.

Each case gives a cell's code, the columns of what it read and wrote (as a run knows them
at runtime) and the exact edges expected: ``{output column: {(source, field, subtype,
masking)}}`` plus the dataset-wide ``{(source, field, subtype)}``. Sources are written
``df:NAME`` (a DataFrame), ``file:PATH`` and ``table:NAME``.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbgov.capture.columns import (
    Side,
    analyse,
    cell_column_lineage,
    is_mask_literal,
    is_masking_name,
)

CWD = "/w"
PEOPLE = ["id", "email", "amount", "region", "name"]


def _side(direction: str, label: str, columns: Sequence[str], obj: Any = None, types: Mapping[str, str] | None = None
          ) -> Side:
    kind, _, what = label.partition(":")
    fields = tuple((c, (types or {}).get(c, "int64")) for c in columns)
    if kind == "df":
        return Side(direction, "dataframe", "dataframe://nb", f"nb/{what}", fields, var=what, obj=obj)
    if kind == "file":
        return Side(direction, "file", "file", what, fields, path=what, obj=obj)
    return Side(direction, "duckdb", "duckdb://db", f"main.{what}", fields, table=what, obj=obj)


def _label(namespace: str, name: str) -> str:
    if namespace == "file":
        return f"file:{name}"
    if namespace.startswith("dataframe"):
        return f"df:{name.split('/', 1)[1]}"
    return f"table:{name.split('.', 1)[1]}"


def lineage(code: str | None, inputs: Mapping[str, Sequence[str]], outputs: Mapping[str, Sequence[str]],
            *, objs: Mapping[str, Any] | None = None, types: Mapping[str, Mapping[str, str]] | None = None
            ) -> dict[str, tuple[dict[str, set[tuple]], set[tuple]]]:
    objs, types = objs or {}, types or {}
    sides = [_side("input", k, v, objs.get(f"in {k}"), types.get(k)) for k, v in inputs.items()]
    sides += [_side("output", k, v, objs.get(f"out {k}"), types.get(k)) for k, v in outputs.items()]
    found = cell_column_lineage(code, sides, cwd=CWD)
    out = {}
    for index, body in found.items():
        fields = {
            col: {(_label(i["namespace"], i["name"]), i["field"], t["subtype"], t.get("masking"))
                  for i in spec["inputFields"] for t in i["transformations"]}
            for col, spec in body["fields"].items()
        }
        dataset = {(_label(i["namespace"], i["name"]), i["field"], t["subtype"])
                   for i in body["dataset"] for t in i["transformations"]}
        out[_label(sides[index].namespace, sides[index].name)] = (fields, dataset)
    return out


def same(label: str, columns: Sequence[str], subtype: str = "IDENTITY") -> dict[str, set[tuple]]:
    return {c: {(label, c, subtype, False)} for c in columns}


DF = {"df:df": PEOPLE}
ORDERS = ["order_id", "cust", "amount", "ts", "email", "country", "big"]  # orders merged with customers

# ------------------------------------------------------------------ the idiom table
CASES: list[tuple[str, str, dict, dict, dict]] = [
    ("column selection", 'out = df[["id", "email"]]', DF, {"df:out": ["id", "email"]},
     {"df:out": (same("df:df", ["id", "email"]), set())}),
    ("loc filter and selection", 'out = df.loc[df["amount"] > 0, ["id", "email"]]', DF, {"df:out": ["id", "email"]},
     {"df:out": (same("df:df", ["id", "email"]), {("df:df", "amount", "FILTER")})}),
    ("boolean mask of two columns", 'out = df[(df.amount > 0) & (df["region"] == "EU")]', DF, {"df:out": PEOPLE},
     {"df:out": (same("df:df", PEOPLE), {("df:df", "amount", "FILTER"), ("df:df", "region", "FILTER")})}),
    ("query string", "out = df.query(\"amount > @lo and region == 'EU'\")", DF, {"df:out": PEOPLE},
     {"df:out": (same("df:df", PEOPLE), {("df:df", "amount", "FILTER"), ("df:df", "region", "FILTER")})}),
    ("new column from an expression (in place)", 'df["total"] = df["amount"] * 1.2 + df.id', DF,
     {"df:df": [*PEOPLE, "total"]},
     {"df:df": ({"total": {("df:df", "amount", "TRANSFORMATION", False), ("df:df", "id", "TRANSFORMATION", False)}},
                set())}),
    ("rename and drop", 'out = df.rename(columns={"email": "mail"}).drop(columns=["name"])', DF,
     {"df:out": ["id", "mail", "amount", "region"]},
     {"df:out": ({**same("df:df", ["id", "amount", "region"]), "mail": {("df:df", "email", "IDENTITY", False)}},
                 set())}),
    ("rename in place", 'df.rename(columns={"email": "contact"}, inplace=True)', DF,
     {"df:df": ["id", "contact", "amount", "region", "name"]},
     {"df:df": ({"contact": {("df:df", "email", "IDENTITY", False)}}, set())}),
    ("assign with a lambda and an accessor", ('out = df.assign(initial=df["name"].str[0], '
     'upper=lambda d: d["name"].str.upper())'), DF, {"df:out": ["id", "name", "initial", "upper"]},
     {"df:out": ({**same("df:df", ["id", "name"]), "initial": {("df:df", "name", "TRANSFORMATION", False)},
                  "upper": {("df:df", "name", "TRANSFORMATION", False)}}, set())}),
    ("named aggregation", ('out = df.groupby("region", as_index=False).agg(total=("amount", "sum"), '
     'n=pd.NamedAgg(column="id", aggfunc="count"))'), DF, {"df:out": ["region", "total", "n"]},
     {"df:out": ({"region": {("df:df", "region", "IDENTITY", False)},
                  "total": {("df:df", "amount", "AGGREGATION", False)},
                  "n": {("df:df", "id", "AGGREGATION", False)}}, {("df:df", "region", "GROUP_BY")})}),
    ("dict aggregation", 'out = df.groupby(["region"]).agg({"amount": "sum"}).reset_index()', DF,
     {"df:out": ["region", "amount"]},
     {"df:out": ({"region": {("df:df", "region", "IDENTITY", False)},
                  "amount": {("df:df", "amount", "AGGREGATION", False)}}, {("df:df", "region", "GROUP_BY")})}),
    ("groupby column sum", 'out = df.groupby("region")["amount"].sum().reset_index()', DF,
     {"df:out": ["region", "amount"]},
     {"df:out": ({"region": {("df:df", "region", "IDENTITY", False)},
                  "amount": {("df:df", "amount", "AGGREGATION", False)}}, {("df:df", "region", "GROUP_BY")})}),
    ("groupby transform back onto the rows", ('df["share"] = df["amount"] / df.groupby("region")["amount"]'
     '.transform("sum")'), DF, {"df:df": [*PEOPLE, "share"]},
     {"df:df": ({"share": {("df:df", "amount", "AGGREGATION", False), ("df:df", "region", "GROUP_BY", None)}},
                set())}),
    ("merge on a key: both sides are sources of the key", 'm = sales.merge(people, on="id", how="left")',
     {"df:sales": ["id", "amount"], "df:people": ["id", "email", "amount"]},
     {"df:m": ["id", "amount_x", "email", "amount_y"]},
     {"df:m": ({"id": {("df:sales", "id", "IDENTITY", False), ("df:people", "id", "IDENTITY", False)},
                "amount_x": {("df:sales", "amount", "IDENTITY", False)},
                "email": {("df:people", "email", "IDENTITY", False)},
                "amount_y": {("df:people", "amount", "IDENTITY", False)}},
               {("df:sales", "id", "JOIN"), ("df:people", "id", "JOIN")})}),
    ("pd.merge with left_on/right_on and suffixes", ('m = pd.merge(a, b, left_on="k", right_on="key", '
     'suffixes=("", "_b"))'), {"df:a": ["k", "v"], "df:b": ["key", "v"]}, {"df:m": ["k", "v", "key", "v_b"]},
     {"df:m": ({"k": {("df:a", "k", "IDENTITY", False)}, "v": {("df:a", "v", "IDENTITY", False)},
                "key": {("df:b", "key", "IDENTITY", False)}, "v_b": {("df:b", "v", "IDENTITY", False)}},
               {("df:a", "k", "JOIN"), ("df:b", "key", "JOIN")})}),
    ("concat of two frames", "out = pd.concat([df, other], ignore_index=True)",
     {"df:df": PEOPLE, "df:other": ["id", "email"]}, {"df:out": PEOPLE},
     {"df:out": ({**same("df:df", PEOPLE), "id": {("df:df", "id", "IDENTITY", False),
                                                  ("df:other", "id", "IDENTITY", False)},
                  "email": {("df:df", "email", "IDENTITY", False), ("df:other", "email", "IDENTITY", False)}},
                 set())}),
    ("np.where: a condition is INDIRECT", 'df["flag"] = np.where(df["amount"] > 100, "big", df["region"])', DF,
     {"df:df": [*PEOPLE, "flag"]},
     {"df:df": ({"flag": {("df:df", "amount", "CONDITIONAL", None), ("df:df", "region", "TRANSFORMATION", False)}},
                set())}),
    ("sort and head", 'out = df.sort_values("amount", ascending=False).head(10)', DF, {"df:out": PEOPLE},
     {"df:out": (same("df:df", PEOPLE), {("df:df", "amount", "SORT")})}),
    ("dropna and drop_duplicates subsets", 'out = df.dropna(subset=["email"]).drop_duplicates(subset=["id"])', DF,
     {"df:out": ["id", "email"]}, {"df:out": (same("df:df", ["id", "email"]), {("df:df", "email", "FILTER"),
                                                                               ("df:df", "id", "FILTER")})}),
    ("positional rename", 'out = df.copy()\nout.columns = ["a", "b", "c", "d", "e"]', DF,
     {"df:out": ["a", "b", "c", "d", "e"]},
     {"df:out": ({new: {("df:df", old, "IDENTITY", False)} for new, old in zip("abcde", PEOPLE)}, set())}),
    ("add_prefix", 'out = df[["id", "email"]].add_prefix("x_")', DF, {"df:out": ["x_id", "x_email"]},
     {"df:out": ({"x_id": {("df:df", "id", "IDENTITY", False)}, "x_email": {("df:df", "email", "IDENTITY", False)}},
                 set())}),
    ("pivot_table", 'out = df.pivot_table(index="region", values="amount", aggfunc="sum").reset_index()', DF,
     {"df:out": ["region", "amount"]},
     {"df:out": ({"region": {("df:df", "region", "IDENTITY", False)},
                  "amount": {("df:df", "amount", "AGGREGATION", False)}}, {("df:df", "region", "GROUP_BY")})}),
    ("row-wise apply into a frame", ('out = df.apply(lambda r: r["amount"] * 2 if r["region"] == "EU" else 0, '
     'axis=1).to_frame("scaled")'), DF, {"df:out": ["scaled"]},
     {"df:out": ({"scaled": {("df:df", "amount", "TRANSFORMATION", False), ("df:df", "region", "CONDITIONAL", None)}},
                 set())}),
    ("DataFrame from a dict of columns, written to a path tail", ('pd.DataFrame({"k": df["id"], "v": df["amount"] * 2})'
     '.to_parquet(work / "z.parquet")'), DF, {"file:/w/data/z.parquet": ["k", "v"]},
     {"file:/w/data/z.parquet": ({"k": {("df:df", "id", "IDENTITY", False)},
                                  "v": {("df:df", "amount", "TRANSFORMATION", False)}}, set())}),
    ("a chain of local steps, written", ('tmp = df[df.amount > 3]\ntmp = tmp.assign(d=tmp.email.str.len())\n'
     'tmp[["id", "d"]].to_csv("x.csv", index=False)'), DF, {"file:/w/x.csv": ["id", "d"]},
     {"file:/w/x.csv": ({"id": {("df:df", "id", "IDENTITY", False)},
                         "d": {("df:df", "email", "TRANSFORMATION", False)}}, {("df:df", "amount", "FILTER")})}),
    ("read, transform, write in one cell", ('raw = pd.read_csv("in.csv")\nraw["domain"] = raw.email.str.split("@")'
     '.str[1]\nraw.to_parquet("out.parquet")'), {"file:/w/in.csv": ["id", "email"]},
     {"df:raw": ["id", "email", "domain"], "file:/w/out.parquet": ["id", "email", "domain"]},
     {"df:raw": ({**same("file:/w/in.csv", ["id", "email"]),
                  "domain": {("file:/w/in.csv", "email", "TRANSFORMATION", False)}}, set()),
      "file:/w/out.parquet": (same("df:raw", ["id", "email", "domain"]), set())}),
    ("read_sql_table", 'orders = pd.read_sql_table("orders", engine)\norders["net"] = orders.gross - orders.tax',
     {"table:orders": ["id", "gross", "tax"]}, {"df:orders": ["id", "gross", "tax", "net"]},
     {"df:orders": ({**same("table:orders", ["id", "gross", "tax"]),
                     "net": {("table:orders", "gross", "TRANSFORMATION", False),
                             ("table:orders", "tax", "TRANSFORMATION", False)}}, set())}),
    ("columns renamed by an expression keep their positions", ('raw = pd.read_csv("x.csv")\n'
     'raw.columns = raw.columns.str.lower()'), {"file:/w/x.csv": ["ID", "Email"]}, {"df:raw": ["id", "email"]},
     {"df:raw": ({"id": {("file:/w/x.csv", "ID", "IDENTITY", False)},
                  "email": {("file:/w/x.csv", "Email", "IDENTITY", False)}}, set())}),
    ("rename by a function", "out = df.rename(columns=str.lower)", {"df:df": ["ID", "Email"]},
     {"df:out": ["id", "email"]}, {"df:out": ({"id": {("df:df", "ID", "IDENTITY", False)},
                                               "email": {("df:df", "Email", "IDENTITY", False)}}, set())}),
    ("a rename by a function, then a selection: unknown, only the words match",
     'out = df.rename(columns=lambda c: c.lower())[["email"]]', {"df:df": ["ID", "Email"]}, {"df:out": ["email"]},
     {"df:out": ({"email": {("df:df", "Email", "TRANSFORMATION", False)}}, set())}),
    ("several aggregations per column", 'out = df.groupby("region").agg(["sum", "mean"])',
     {"df:df": ["region", "amount"]}, {"df:out": ["amount.sum", "amount.mean"]},
     {"df:out": ({"amount.sum": {("df:df", "amount", "AGGREGATION", False)},
                  "amount.mean": {("df:df", "amount", "AGGREGATION", False)}}, {("df:df", "region", "GROUP_BY")})}),
    ("several aggregations of one column", 'out = df.groupby("region").amount.agg(["sum", "mean"]).reset_index()',
     {"df:df": ["region", "amount"]}, {"df:out": ["region", "sum", "mean"]},
     {"df:out": ({"region": {("df:df", "region", "IDENTITY", False)},
                  "sum": {("df:df", "amount", "AGGREGATION", False)},
                  "mean": {("df:df", "amount", "AGGREGATION", False)}}, {("df:df", "region", "GROUP_BY")})}),
    ("the example of docs/notebooks.md", ('orders = pd.read_csv("orders.csv")\n'
     'paid = orders[orders.status == "paid"]\n'
     'report = (paid.merge(customers, on="customer_id")\n'
     '              .assign(domain=lambda d: d["email"].str.split("@").str[1],\n'
     '                      email_hash=lambda d: d["email"].map(sha256_hex))\n'
     '              .groupby(["region", "domain"], as_index=False)\n'
     '              .agg(total=("amount", "sum"), hashes=("email_hash", "first")))\n'
     'report.to_parquet("report.parquet")'),
     {"file:/w/orders.csv": ["id", "customer_id", "email", "amount", "status"],
      "df:customers": ["customer_id", "region"]},
     {"df:orders": ["id", "customer_id", "email", "amount", "status"],
      "df:paid": ["id", "customer_id", "email", "amount", "status"],
      "df:report": ["region", "domain", "total", "hashes"],
      "file:/w/report.parquet": ["region", "domain", "total", "hashes"]},
     {"df:orders": (same("file:/w/orders.csv", ["id", "customer_id", "email", "amount", "status"]), set()),
      "df:paid": (same("df:orders", ["id", "customer_id", "email", "amount", "status"]),
                  {("df:orders", "status", "FILTER")}),
      "df:report": ({"region": {("df:customers", "region", "IDENTITY", False)},
                     "domain": {("df:paid", "email", "TRANSFORMATION", False)},
                     "total": {("df:paid", "amount", "AGGREGATION", False)},
                     "hashes": {("df:paid", "email", "AGGREGATION", True)}},
                    {("df:paid", "customer_id", "JOIN"), ("df:customers", "customer_id", "JOIN"),
                     ("df:customers", "region", "GROUP_BY"), ("df:paid", "email", "GROUP_BY")}),
      "file:/w/report.parquet": (same("df:report", ["region", "domain", "total", "hashes"]), set())}),
    # ------------------------------------------------ reshaping (melt, pivot, crosstab, unstack)
    ("melt: value holds the value columns, variable their names",
     "long = m.melt(id_vars=['order_id'], value_vars=['amount', 'email'])", {"df:m": ORDERS},
     {"df:long": ["order_id", "variable", "value"]},
     {"df:long": ({"order_id": {("df:m", "order_id", "IDENTITY", False)},
                   "variable": {("df:m", "amount", "GROUP_BY", None), ("df:m", "email", "GROUP_BY", None)},
                   "value": {("df:m", "amount", "TRANSFORMATION", False), ("df:m", "email", "TRANSFORMATION", False)}},
                  set())}),
    ("pd.melt with var_name and value_name, positional ids",
     "long = pd.melt(m, 'order_id', ['email'], var_name='k', value_name='v')", {"df:m": ORDERS},
     {"df:long": ["order_id", "k", "v"]},
     {"df:long": ({"order_id": {("df:m", "order_id", "IDENTITY", False)},
                   "k": {("df:m", "email", "GROUP_BY", None)}, "v": {("df:m", "email", "TRANSFORMATION", False)}},
                  set())}),
    ("melt without value_vars: the selected columns but the ids",
     "long = m[m.amount > 0][['order_id', 'amount', 'email']].melt(id_vars='order_id')", {"df:m": ORDERS},
     {"df:long": ["order_id", "variable", "value"]},
     {"df:long": ({"order_id": {("df:m", "order_id", "IDENTITY", False)},
                   "variable": {("df:m", "amount", "GROUP_BY", None), ("df:m", "email", "GROUP_BY", None)},
                   "value": {("df:m", "amount", "TRANSFORMATION", False), ("df:m", "email", "TRANSFORMATION", False)}},
                  {("df:m", "amount", "FILTER")})}),
    ("melt without value_vars of a whole frame: every column but the ids, less those dropped",
     "long = m.drop(columns=['ts']).melt(id_vars=['order_id', 'cust'])", {"df:m": ["order_id", "cust", "ts", "email"]},
     {"df:long": ["order_id", "cust", "variable", "value"]},
     {"df:long": ({"order_id": {("df:m", "order_id", "IDENTITY", False)}, "cust": {("df:m", "cust", "IDENTITY", False)},
                   "variable": {("df:m", "email", "GROUP_BY", None)},
                   "value": {("df:m", "email", "TRANSFORMATION", False)}}, set())}),
    ("polars unpivot", "long = m.unpivot(['amount'], index='order_id', value_name='v')", {"df:m": ORDERS},
     {"df:long": ["order_id", "variable", "v"]},
     {"df:long": ({"order_id": {("df:m", "order_id", "IDENTITY", False)},
                   "variable": {("df:m", "amount", "GROUP_BY", None)},
                   "v": {("df:m", "amount", "TRANSFORMATION", False)}}, set())}),
    ("pivot_table with columns: the new columns aggregate values",
     "pv = m.pivot_table(index='country', columns='big', values='amount', aggfunc='sum').reset_index()",
     {"df:m": ORDERS}, {"df:pv": ["country", "False", "True"]},
     {"df:pv": ({"country": {("df:m", "country", "IDENTITY", False)},
                 "False": {("df:m", "amount", "AGGREGATION", False)}, "True": {("df:m", "amount", "AGGREGATION", False)}},
                {("df:m", "country", "GROUP_BY"), ("df:m", "big", "GROUP_BY")})}),
    ("pd.pivot_table with positional values and index", "pv = pd.pivot_table(m, 'amount', 'country', 'big')",
     {"df:m": ORDERS}, {"df:pv": ["False", "True"]},
     {"df:pv": ({"False": {("df:m", "amount", "AGGREGATION", False)}, "True": {("df:m", "amount", "AGGREGATION", False)}},
                {("df:m", "country", "GROUP_BY"), ("df:m", "big", "GROUP_BY")})}),
    ("pivot: no aggregation", "pv = m.pivot(index='order_id', columns='country', values='amount').reset_index()",
     {"df:m": ORDERS}, {"df:pv": ["order_id", "DE", "FR"]},
     {"df:pv": ({"order_id": {("df:m", "order_id", "IDENTITY", False)},
                 "DE": {("df:m", "amount", "TRANSFORMATION", False)}, "FR": {("df:m", "amount", "TRANSFORMATION", False)}},
                {("df:m", "order_id", "GROUP_BY"), ("df:m", "country", "GROUP_BY")})}),
    ("crosstab: counts of the columns' values per index value", "ct = pd.crosstab(m.country, m['big']).reset_index()",
     {"df:m": ORDERS}, {"df:ct": ["country", "False", "True"]},
     {"df:ct": ({"country": {("df:m", "country", "IDENTITY", False)},
                 "False": {("df:m", "big", "AGGREGATION", False)}, "True": {("df:m", "big", "AGGREGATION", False)}},
                {("df:m", "country", "GROUP_BY"), ("df:m", "big", "GROUP_BY")})}),
    ("crosstab of values", "ct = pd.crosstab(m.country, m.big, values=m.amount, aggfunc='sum')",
     {"df:m": ORDERS}, {"df:ct": ["False", "True"]},
     {"df:ct": ({"False": {("df:m", "amount", "AGGREGATION", False)}, "True": {("df:m", "amount", "AGGREGATION", False)}},
                {("df:m", "country", "GROUP_BY"), ("df:m", "big", "GROUP_BY")})}),
    ("unstack of a grouped column", ("s = m.groupby(['country', 'big'])['amount'].sum()\n"
     "u = s.unstack().reset_index()"), {"df:m": ORDERS}, {"df:u": ["country", "False", "True"]},
     {"df:u": ({"country": {("df:m", "country", "IDENTITY", False)},
                "False": {("df:m", "amount", "AGGREGATION", False)}, "True": {("df:m", "amount", "AGGREGATION", False)}},
               {("df:m", "country", "GROUP_BY"), ("df:m", "big", "GROUP_BY")})}),
    # ------------------------------------------------ names the code hides: matched by words
    ("aggregations renamed by a comprehension: matched by name tokens",
     ("summary = m.groupby(['country']).agg({'amount': ['sum', 'mean'], 'order_id': 'count'})\n"
      "summary.columns = ['_'.join(c) for c in summary.columns]\nsummary = summary.reset_index()"),
     {"df:m": ORDERS}, {"df:summary": ["country", "amount_sum", "amount_mean", "order_id_count"]},
     {"df:summary": ({"country": {("df:m", "country", "IDENTITY", False)},
                      "amount_sum": {("df:m", "amount", "TRANSFORMATION", False)},
                      "amount_mean": {("df:m", "amount", "TRANSFORMATION", False)},
                      "order_id_count": {("df:m", "order_id", "TRANSFORMATION", False)}},
                     {("df:m", "country", "GROUP_BY")})}),
    ("words match whole and in order: paid is not id, Order-ID Total is order_id",
     "out = helper(df)", {"df:df": ["id", "order_id", "total"]}, {"df:out": ["paid", "Order-ID Total", "id_x"]},
     {"df:out": ({"Order-ID Total": {("df:df", "order_id", "TRANSFORMATION", False),
                                     ("df:df", "id", "TRANSFORMATION", False),
                                     ("df:df", "total", "TRANSFORMATION", False)},
                  "id_x": {("df:df", "id", "TRANSFORMATION", False)}}, set())}),
    ("a column the code explains gets no word match (a constant)", "out = df[['id']].assign(id_flag=1)",
     {"df:df": ["id"]}, {"df:out": ["id", "id_flag"]}, {"df:out": (same("df:df", ["id"]), set())}),
    ("a masked column keeps only its masking edge", "out = df.assign(email_hash=df['email'].map(sha256))",
     {"df:df": ["email"]}, {"df:out": ["email", "email_hash"]},
     {"df:out": ({"email": {("df:df", "email", "IDENTITY", False)},
                  "email_hash": {("df:df", "email", "TRANSFORMATION", True)}}, set())}),
    # ------------------------------------------------ augmented and partial assignment
    ("augmented assignment through .loc and a mask", ("m2 = m.copy()\n"
     "m2.loc[m2.country == 'FR', 'amount'] *= 1.2"), {"df:m": ORDERS}, {"df:m2": ORDERS},
     {"df:m2": ({**same("df:m", [c for c in ORDERS if c != "amount"]),
                 "amount": {("df:m", "amount", "TRANSFORMATION", False), ("df:m", "country", "CONDITIONAL", None)}},
                set())}),
    ("augmented assignment of a column by another", "m2 = m.copy()\nm2['amount'] += m2['big']", {"df:m": ORDERS},
     {"df:m2": ["order_id", "amount"]},
     {"df:m2": ({"order_id": {("df:m", "order_id", "IDENTITY", False)},
                 "amount": {("df:m", "amount", "TRANSFORMATION", False), ("df:m", "big", "TRANSFORMATION", False)}},
                set())}),
    (".loc assignment of a constant to some rows", "m2 = m.copy()\nm2.loc[m2.big, 'amount'] = 0", {"df:m": ORDERS},
     {"df:m2": ["order_id", "amount"]},
     {"df:m2": ({"order_id": {("df:m", "order_id", "IDENTITY", False)},
                 "amount": {("df:m", "amount", "TRANSFORMATION", False), ("df:m", "big", "CONDITIONAL", None)}},
                set())}),
    # ------------------------------------------------ masking
    ("hash of a column into a new one", ('out = df.assign(email_hash=df["email"].map(lambda e: '
     'hashlib.sha256(e.encode()).hexdigest()))'), DF, {"df:out": ["id", "email_hash"]},
     {"df:out": ({"id": {("df:df", "id", "IDENTITY", False)},
                  "email_hash": {("df:df", "email", "TRANSFORMATION", True)}}, set())}),
    ("apply(hash)", 'df["h"] = df["email"].apply(hash)', DF, {"df:df": [*PEOPLE, "h"]},
     {"df:df": ({"h": {("df:df", "email", "TRANSFORMATION", True)}}, set())}),
    ("a function of the cell that hashes", ('def anon(v):\n    return hashlib.md5(v.encode()).hexdigest()\n'
     'out = df[["id"]].assign(email=df["email"].apply(anon))'), DF, {"df:out": ["id", "email"]},
     {"df:out": ({"id": {("df:df", "id", "IDENTITY", False)}, "email": {("df:df", "email", "TRANSFORMATION", True)}},
                 set())}),
    ("a masking name from another cell", 'out = df.assign(phone=mask_phone(df["email"]))', DF,
     {"df:out": ["id", "phone"]},
     {"df:out": ({"id": {("df:df", "id", "IDENTITY", False)}, "phone": {("df:df", "email", "TRANSFORMATION", True)}},
                 set())}),
    ("str.replace with a mask literal", ('out = df.assign(email=df["email"].str.replace(r"^[^@]+", "***", '
     'regex=True))'), DF, {"df:out": ["id", "email"]},
     {"df:out": ({"id": {("df:df", "id", "IDENTITY", False)}, "email": {("df:df", "email", "TRANSFORMATION", True)}},
                 set())}),
    ("concatenation with a mask literal", 'df["masked"] = df["email"].str[:2] + "***"', DF,
     {"df:df": [*PEOPLE, "masked"]}, {"df:df": ({"masked": {("df:df", "email", "TRANSFORMATION", True)}}, set())}),
    ("pd.util.hash_pandas_object of two columns", ('out = df.assign(h=pd.util.hash_pandas_object(df[["email", '
     '"name"]], index=False))'), DF, {"df:out": ["id", "h"]},
     {"df:out": ({"id": {("df:df", "id", "IDENTITY", False)},
                  "h": {("df:df", "email", "TRANSFORMATION", True), ("df:df", "name", "TRANSFORMATION", True)}},
                 set())}),
    ("a hash in place, written in the same cell", 'df["email"] = df["email"].apply(hash)\ndf.to_csv("x.csv")',
     DF, {"df:df": PEOPLE, "file:/w/x.csv": ["id", "email"]},
     {"file:/w/x.csv": ({"id": {("df:df", "id", "IDENTITY", False)},
                         "email": {("df:df", "email", "TRANSFORMATION", True)}}, set())}),
    ("a replace without a mask is no masking", 'out = df.assign(email=df["email"].str.replace("@", " at "))', DF,
     {"df:out": ["email"]}, {"df:out": ({"email": {("df:df", "email", "TRANSFORMATION", False)}}, set())}),
    # ------------------------------------------------ polars
    ("polars with_columns, alias, hash and filter", ('import polars as pl\nout = raw.with_columns('
     'pl.col("email").str.split("@").list.get(1).alias("domain"), h=pl.col("email").hash()).filter('
     'pl.col("amount") > 0)'), {"df:raw": ["email", "amount"]}, {"df:out": ["email", "amount", "domain", "h"]},
     {"df:out": ({**same("df:raw", ["email", "amount"]), "domain": {("df:raw", "email", "TRANSFORMATION", False)},
                  "h": {("df:raw", "email", "TRANSFORMATION", True)}}, {("df:raw", "amount", "FILTER")})}),
    ("polars select and group_by().agg()", ('out = raw.group_by("region").agg(pl.col("amount").sum()'
     '.alias("total"), n=pl.col("id").count())'), {"df:raw": ["id", "region", "amount"]},
     {"df:out": ["region", "total", "n"]},
     {"df:out": ({"region": {("df:raw", "region", "IDENTITY", False)},
                  "total": {("df:raw", "amount", "AGGREGATION", False)},
                  "n": {("df:raw", "id", "AGGREGATION", False)}}, {("df:raw", "region", "GROUP_BY")})}),
    ("polars join and rename", 'out = a.join(b, on="id").rename({"v": "value"})',
     {"df:a": ["id", "v"], "df:b": ["id", "w"]}, {"df:out": ["id", "value", "w"]},
     {"df:out": ({"id": {("df:a", "id", "IDENTITY", False), ("df:b", "id", "IDENTITY", False)},
                  "value": {("df:a", "v", "IDENTITY", False)}, "w": {("df:b", "w", "IDENTITY", False)}},
                 {("df:a", "id", "JOIN"), ("df:b", "id", "JOIN")})}),
]


@pytest.mark.parametrize(("code", "inputs", "outputs", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_idioms(code: str, inputs: dict, outputs: dict, expected: dict) -> None:
    assert lineage(code, inputs, outputs) == expected


# ------------------------------------------------------------------ name matching
def test_without_code_every_input_with_the_name_is_a_source() -> None:
    """The runtime signal alone (an opaque step, ``exec``, a magic): names, TRANSFORMATION."""
    got = lineage(None, {"df:a": ["id", "email"], "file:/w/b.csv": ["id", "amount"]}, {"df:out": ["id", "email", "x"]})
    assert got == {"df:out": ({"id": {("df:a", "id", "TRANSFORMATION", False),
                                      ("file:/w/b.csv", "id", "TRANSFORMATION", False)},
                               "email": {("df:a", "email", "TRANSFORMATION", False)}}, set())}


def test_code_that_names_its_sources_keeps_other_inputs_out() -> None:
    got = lineage("out = a[['id']]\nprint(b.shape)", {"df:a": ["id"], "df:b": ["id"]}, {"df:out": ["id"]})
    assert got == {"df:out": (same("df:a", ["id"]), set())}


def test_an_opaque_helper_falls_back_to_names() -> None:
    """Part of the frame comes from something the code does not show: names decide there."""
    got = lineage("out = df.merge(load_regions(), on='id')", {"df:df": ["id", "email"], "file:/w/r.csv": ["id", "region"]},
                  {"df:out": ["id", "email", "region"]})
    fields, dataset = got["df:out"]
    assert fields["email"] == {("df:df", "email", "IDENTITY", False)}
    assert fields["region"] == {("file:/w/r.csv", "region", "TRANSFORMATION", False)}
    assert ("df:df", "id", "IDENTITY", False) in fields["id"] and dataset == {("df:df", "id", "JOIN")}


def test_an_overwritten_column_keeps_its_name_edge() -> None:
    """Never drop a DIRECT edge that the name finds: ``amount`` from ``price`` also keeps ``amount``."""
    got = lineage('out = df.assign(amount=df["price"] * 2)', {"df:df": ["price", "amount"]}, {"df:out": ["price", "amount"]})
    assert got["df:out"][0]["amount"] == {("df:df", "price", "TRANSFORMATION", False),
                                          ("df:df", "amount", "TRANSFORMATION", False)}


def test_a_derivation_from_the_same_column_decides_its_transformation() -> None:
    got = lineage('out = df.assign(email=df["email"].apply(hash))', {"df:df": ["email"]}, {"df:out": ["email"]})
    assert got["df:out"][0] == {"email": {("df:df", "email", "TRANSFORMATION", True)}}  # no unmasked twin


def test_the_same_object_is_identity_and_a_changed_type_is_not() -> None:
    obj = object()
    got = lineage(None, {"file:/w/in.csv": ["id", "email"]}, {"df:raw": ["id", "email"]},
                  objs={"in file:/w/in.csv": obj, "out df:raw": obj},
                  types={"file:/w/in.csv": {"email": "str"}, "df:raw": {"email": "str"}})
    assert got["df:raw"][0] == {"id": {("file:/w/in.csv", "id", "IDENTITY", False)},
                                "email": {("file:/w/in.csv", "email", "IDENTITY", False)}}
    cast = lineage("out = df.astype({'id': 'float64'})", {"df:df": ["id"]}, {"df:out": ["id"]},
                   types={"df:out": {"id": "float64"}})
    assert cast["df:out"][0] == {"id": {("df:df", "id", "TRANSFORMATION", False)}}


def test_shared_memory_is_evidence_of_identity() -> None:
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    src = pd.DataFrame({"a": np.arange(5), "b": np.arange(5) * 2})
    view = src[["a"]]  # a selection: the values are not copied
    copy = pd.DataFrame({"a": np.arange(5)})
    objs = {"in df:src": src, "out df:view": view, "out df:copy": copy}
    got = lineage(None, {"df:src": ["a", "b"]}, {"df:view": ["a"], "df:copy": ["a"]}, objs=objs)
    assert got["df:view"][0] == {"a": {("df:src", "a", "IDENTITY", False)}}
    assert got["df:copy"][0] == {"a": {("df:src", "a", "TRANSFORMATION", False)}}


def test_a_frame_changed_in_place_gets_no_edge_from_itself() -> None:
    got = lineage('df["amount"] = df["amount"].round(2)', {"df:df": ["id", "amount"]}, {"df:df": ["id", "amount"]})
    assert got == {}


def test_outputs_with_known_lineage_are_left_alone() -> None:
    sides = [_side("input", "df:a", ["x"]), Side("output", "dataframe", "dataframe://nb", "nb/out", (("x", "int64"),),
                                                 var="out", fixed=True)]
    assert cell_column_lineage("out = a", sides, cwd=CWD) == {}


def test_writes_pair_with_their_files() -> None:
    code = 'a.to_csv("one.csv")\nb.to_parquet(f"{folder}/two.parquet")\nc.to_json(target)'
    got = lineage(code, {"df:a": ["x"], "df:b": ["x"], "df:c": ["x"]},
                  {"file:/w/one.csv": ["x"], "file:/data/two.parquet": ["x"], "file:/tmp/three.json": ["x"]})
    assert {k: v[0]["x"] for k, v in got.items()} == {
        "file:/w/one.csv": {("df:a", "x", "IDENTITY", False)},
        "file:/data/two.parquet": {("df:b", "x", "IDENTITY", False)},
        "file:/tmp/three.json": {("df:c", "x", "IDENTITY", False)},  # the one write left, the one file left
    }


def test_readers_pair_with_their_files() -> None:
    code = 'x = pd.read_csv("a.csv")\ny = pd.read_parquet(path)\nz = x.merge(y, on="k")'
    got = lineage(code, {"file:/w/a.csv": ["k", "p"], "file:/elsewhere/b.parquet": ["k", "q"]},
                  {"df:z": ["k", "p", "q"]})
    assert got["df:z"][0] == {"k": {("file:/w/a.csv", "k", "IDENTITY", False),
                                    ("file:/elsewhere/b.parquet", "k", "IDENTITY", False)},
                              "p": {("file:/w/a.csv", "p", "IDENTITY", False)},
                              "q": {("file:/elsewhere/b.parquet", "q", "IDENTITY", False)}}


# ------------------------------------------------------------------ the facet's form
def test_the_payload_is_the_spec_facet_body() -> None:
    sides = [_side("input", "df:df", ["email", "amount"]), _side("output", "df:out", ["email", "h"])]
    (body,) = cell_column_lineage('out = df[df.amount > 0].assign(h=df.email.apply(hash))[["email", "h"]]',
                                  sides, cwd=CWD).values()
    assert body == {
        "fields": {
            "email": {"inputFields": [{"namespace": "dataframe://nb", "name": "nb/df", "field": "email",
                                       "transformations": [{"type": "DIRECT", "subtype": "IDENTITY",
                                                            "masking": False}]}]},
            "h": {"inputFields": [{"namespace": "dataframe://nb", "name": "nb/df", "field": "email",
                                   "transformations": [{"type": "DIRECT", "subtype": "TRANSFORMATION",
                                                        "description": "hash", "masking": True}]}]},
        },
        "dataset": [{"namespace": "dataframe://nb", "name": "nb/df", "field": "amount",
                     "transformations": [{"type": "INDIRECT", "subtype": "FILTER"}]}],
    }


# ------------------------------------------------------------------ words
@pytest.mark.parametrize(("name", "masks"), [
    ("hash", True), ("hashlib.sha256", True), ("sha1", True), ("hash_email", True), ("maskPhone", True),
    ("pseudonymize", True), ("redact_names", True), ("encrypt", True), ("hash_pandas_object", True),
    ("blake2b", True), ("hashtag_count", False), ("tokenize", False), ("str.lower", False), ("mask", True),
    ("unmasked_total", False), ("fingerprint", True),
])
def test_masking_names(name: str, masks: bool) -> None:
    assert is_masking_name(name) is masks


@pytest.mark.parametrize(("text", "masks"), [
    ("*", True), ("***", True), ("XXXX", True), ("[REDACTED]", True), (r"\1***", True), ("#", True),
    (" at ", False), ("", False), ("X", False), ("-", False), ("unknown", False),
])
def test_mask_literals(text: str, masks: bool) -> None:
    assert is_mask_literal(text) is masks


# ------------------------------------------------------------------ properties
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.text(max_size=300))
def test_any_text_is_analysed_without_raising(text: str) -> None:
    analyse(text)
    cell_column_lineage(text, [_side("input", "df:df", PEOPLE), _side("output", "df:out", PEOPLE)], cwd=CWD)


# Steps that keep every column they are given (values may change) and say what they do to
# `email` (None: nothing; "T": transformed; "M": masked).
KEEPING_STEPS = [
    ("{v}[{v}.amount > 0]", None), ('{v}.sort_values("amount")', None), ("{v}.copy()", None),
    ('{v}.dropna(subset=["email"])', None), ("{v}.reset_index(drop=True)", None), ('{v}.query("amount > 1")', None),
    ('{v}.assign(extra={v}["amount"] * 2)', None), ('{v}.merge(lookup, on="id")', None),
    ('{v}.assign(email={v}["email"].str.lower())', "T"), ('{v}.assign(email={v}["email"].apply(hash))', "M"),
    ("{v}.fillna(0)", "T"), ('{v}.assign(email={v}["email"].str.replace(".", "***"))', "M"),
]


@FAST
@given(st.lists(st.sampled_from(KEEPING_STEPS), min_size=1, max_size=6), st.booleans())
def test_chains_never_lose_a_name_edge_and_keep_masking(steps: list[tuple[str, str | None]], split: bool) -> None:
    """Whatever steps a chain makes (in one expression or one statement each), every output
    column named like an input column keeps a DIRECT edge from it, each edge names an
    existing field, and ``email`` arrives masked exactly when a step masked it."""
    if split:
        code = "x = df\n" + "".join(f"x = {template.format(v='x')}\n" for template, _ in steps) + "out = x"
    else:
        expr = "df"
        for template, _ in steps:
            expr = template.format(v=f"({expr})")
        code = f"out = {expr}"
    inputs = {"df:df": PEOPLE, "df:lookup": ["id", "segment"]}
    got = lineage(code, inputs, {"df:out": [*PEOPLE, "segment"]})
    fields, dataset = got["df:out"]
    for column in PEOPLE:
        assert any(src == "df:df" and f == column and sub in ("IDENTITY", "TRANSFORMATION", "AGGREGATION")
                   for src, f, sub, _ in fields[column]), (code, column)
    for column, edges in fields.items():
        for src, f, _, _ in edges:
            assert f in inputs[src], (code, column, src, f)
    masked = any(kind == "M" for _, kind in steps)
    changed = any(kind is not None for _, kind in steps)
    (email,) = [e for e in fields["email"] if e[0] == "df:df"]
    assert email[3] is masked, code
    assert (email[2] == "IDENTITY") is (not changed and not any(t.startswith("{v}.fillna") for t, _ in steps)), code
    assert all(src in inputs for src, _, _ in dataset)


def test_the_static_pass_is_cached_per_source() -> None:
    code = 'out = df[["id"]]\n'
    assert analyse(code) is analyse(code)
    assert analyse("def broken(:\n") == analyse("")  # does not parse: names only


def test_deep_code_gives_up_quietly() -> None:
    code = "out = " + "(" * 300 + "df" + ")" * 300 + "\n" + "x = df" + ".copy()" * 400
    ast.parse("x = 1")
    lineage(code, DF, {"df:out": PEOPLE, "df:x": PEOPLE})


def test_a_frame_from_a_magic_is_the_same_object_as_the_magics_result() -> None:
    """``df2 = %sql SELECT …`` binds the very frame the magic returned as ``_sql``."""
    from nbgov.magics.runs import python_of

    obj = object()
    code = python_of("df2 = %sql SELECT id FROM t")
    got = lineage(code, {"table:t": ["id"]}, {"df:_sql": ["id"], "df:df2": ["id"]},
                  objs={"out df:_sql": obj, "out df:df2": obj})
    assert got["df:df2"][0] == {"id": {("df:_sql", "id", "IDENTITY", False)}}
