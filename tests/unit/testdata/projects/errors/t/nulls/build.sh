#!/bin/sh
echo building t/nulls
